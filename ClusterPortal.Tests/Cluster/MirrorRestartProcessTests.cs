using Microsoft.Data.Sqlite;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// The mirror across a restart of a real node process (issue 14 item 3): after SIGTERM (every mirror write flushed)
/// the node keeps vouching for the sequence a device echoes, so a rolling deployment costs no device its cache; after
/// <c>kill -9</c> it vouches only for what reached its store, and never gives a wrong 304.
/// </summary>
[Trait("Category", "Process")]
public sealed class MirrorRestartProcessTests
{
    private static readonly string[] s_keys =
    [
        "hello.txt", "news/world/headlines.json", "news/sport/headlines.json", "news/local/headlines.json",
        "routes/line-1/schedule.json", "routes/line-7/schedule.json", "devices/kiosk-7/config.json", "devices/pager-a100/config.json",
    ];

    [Fact]
    public async Task After_a_graceful_restart_a_device_that_echoes_its_sequence_gets_304s_for_everything_it_holds()
    {
        await using var cluster = await ProcessCluster.StartAsync(1);
        var node = cluster[0];
        var device = await DeviceAsync(cluster, "rolling-1");
        foreach (var key in s_keys)
        {
            Assert.Equal(200, await device.GetAsync(node.Url, key));
        }

        var bytes = device.BodyBytes;
        await node.TerminateAsync();
        node.Start();
        await node.WaitReadyAsync();

        foreach (var key in s_keys)
        {
            Assert.Equal(304, await device.GetAsync(node.Url, key)); // MirrorClient fails on any 304 for a copy it does not hold
        }

        Assert.Equal(bytes, device.BodyBytes);
    }

    [Fact]
    public async Task After_a_crash_the_node_vouches_for_what_reached_its_store_and_for_nothing_later()
    {
        // Batches wait up to 10 s for more changes: what a device fetched just before the kill is not stored yet.
        await using var cluster = await ProcessCluster.StartAsync(1, ["--Persistence:MaxDelay=00:00:10"]);
        var node = cluster[0];
        var stored = await DeviceAsync(cluster, "crash-stored");
        var late = await DeviceAsync(cluster, "crash-late"); // announced (and stored) early: only its items come late
        foreach (var key in s_keys)
        {
            await stored.GetAsync(node.Url, key);
        }

        await Eventually.True(() => StoredSequence(node, stored.ClientId) == stored.Sequence,
            $"{stored.ClientId}'s sequence {stored.Sequence} in {node.NodeId}'s database", 60_000, cluster.Describe);
        foreach (var key in s_keys)
        {
            await late.GetAsync(node.Url, key);
        }

        node.Kill();
        Assert.NotEqual(late.Sequence, StoredSequence(node, late.ClientId));
        node.Start();
        await node.WaitReadyAsync();

        foreach (var key in s_keys)
        {
            Assert.Equal(304, await stored.GetAsync(node.Url, key));
            Assert.Equal(200, await late.GetAsync(node.Url, key)); // its sequence never reached the store: no 304 it cannot back
        }

        foreach (var key in s_keys)
        {
            Assert.Equal(304, await late.GetAsync(node.Url, key)); // and the new history vouches again
        }
    }

    [Fact]
    public async Task A_device_served_by_a_node_while_it_is_leaving_keeps_its_mirror_at_its_new_primary()
    {
        // A wide leave grace makes the window the rolling-restart trial hit (13 of 13 devices answered by the leaving node
        // in its grace lost their mirror) certain: the node synced its mirrors when it began to leave, served on for the
        // grace, and handed over without syncing what it served meanwhile.
        await using var cluster = await ProcessCluster.StartAsync(2, ["--Cluster:LeaveGrace=00:00:05"]);
        var (primaryId, token) = await cluster.AnnounceAsync(cluster[0], "leaving-1");
        var device = new MirrorClient(cluster.Http, "leaving-1", token);
        var primary = cluster.Nodes.Single(n => n.NodeId == primaryId);
        var next = cluster.Nodes.Single(n => n.NodeId != primaryId);
        foreach (var key in s_keys[..^1])
        {
            Assert.Equal(200, await device.GetAsync(primary.Url, key));
        }

        var stopping = primary.TerminateAsync(60_000);
        await Eventually.True(async () => await cluster.StateAsync(next, primary) == "Leaving", $"{primary.NodeId} Leaving at {next.NodeId}", 15_000, cluster.Describe);
        await Eventually.True(async () => (await device.MirrorAtAsync(next.Url, ProcessCluster.AdminKey)).Sequence == device.Sequence,
            $"the leave's first sync of leaving-1's mirror ({device.Sequence}) at {next.NodeId}", 15_000, cluster.Describe);
        Assert.Equal(200, await device.GetAsync(primary.Url, s_keys[^1])); // served in the grace, after that sync: a new sequence
        await stopping;
        await Eventually.True(async () => (await cluster.ClientsAsync(next))["leaving-1"].Primary == next.NodeId,
            $"leaving-1 handed to {next.NodeId}", 15_000, cluster.Describe);

        foreach (var key in s_keys)
        {
            Assert.True(await device.GetAsync(next.Url, key) == 304, $"{key} at {next.NodeId} after the hand-over\n{cluster.Describe()}");
        }
    }

    private static async Task<MirrorClient> DeviceAsync(ProcessCluster cluster, string clientId)
    {
        var (_, token) = await cluster.AnnounceAsync(cluster[0], clientId);
        return new MirrorClient(cluster.Http, clientId, token);
    }

    /// <summary>The client's mirror sequence in the node's SQLite database, as 16 hex digits, or null (read-only, beside the running node).</summary>
    private static string? StoredSequence(ProcessCluster.Node node, string clientId)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(node.DataDirectory, "node.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """SELECT "Sequence" FROM "Mirrors" WHERE "ClientId" = $id""";
        command.Parameters.AddWithValue("$id", clientId);
        return command.ExecuteScalar() is long sequence ? unchecked((ulong)sequence).ToString("x16", System.Globalization.CultureInfo.InvariantCulture) : null;
    }
}
