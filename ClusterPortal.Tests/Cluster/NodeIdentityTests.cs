using System.Net;
using ClusterPortal.Tests.Support;
using Xunit.Abstractions;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// One node id, one live process (docs/recovery.md "One node id, one live process; incarnations"; issue 11, case 3), with
/// real node processes: a second process claiming a live member's id — on another port, or started from a copy of the
/// member's data directory — is refused and the member keeps its URL, quorum and clients; a new node whose advertised URL
/// the seed cannot reach is not added (docs/identity.md "Joining").
/// </summary>
[Collection(ProcessFailureGroup.Name)]
[Trait("Category", "Process")]
public sealed class NodeIdentityTests(ITestOutputHelper output)
{
    /// <summary>Issue 11, case 3: a second process started as node-2 on another port took over node-2's URL in every view.</summary>
    [Fact]
    public async Task A_second_process_claiming_a_live_members_id_exits_2_and_the_member_is_unaffected()
    {
        await using var cluster = await ProcessCluster.StartAsync(3);
        await cluster.AnnounceManyAsync("dup", 30);
        var member = cluster[1];
        var impostor = cluster.CreateExtra(member.NodeId);
        impostor.Start();
        var code = await impostor.WaitExitAsync(60_000);
        output.WriteLine($"the impostor exited with {code}:\n{impostor.Tail()}");
        Assert.Equal(2, code);
        Assert.Contains(member.NodeId, impostor.Tail(), StringComparison.Ordinal);
        Assert.Contains(member.Url, impostor.Tail(), StringComparison.Ordinal);

        var impostorPort = new Uri(impostor.Url).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var observer in cluster.Nodes)
        {
            var members = await cluster.MembersAsync(observer);
            Assert.Equal(member.Url, members[member.NodeId].Url);
            Assert.DoesNotContain(members.Values, m => m.Url.EndsWith(":" + impostorPort, StringComparison.Ordinal));
        }

        await cluster.WaitAllUpAsync();
        Assert.Equal(HttpStatusCode.OK, await member.ProbeAsync("/health/ready"));
        await cluster.WaitViewsAgreeAsync(30);
    }

    /// <summary>
    /// The same with a copy of the member's data directory (a cloned host, a node moved while the old host still runs):
    /// the copy knows the members, so it does not ask a seed — it connects and sends its Status at once. Its Hello is
    /// refused (exit 2), but its first Status used to raise the member's incarnation in every view, after which the real
    /// process's calls were refused as "older": it was Down everywhere and its clients failed over, for good (found by
    /// attack, 2 of 2).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)] // a cloned host keeps its configuration: the copy advertises the member's own URL (found by a re-attack)
    public async Task A_copy_of_a_members_data_started_elsewhere_leaves_the_real_member_Up_with_its_clients(bool advertisesTheMembersUrl)
    {
        await using var cluster = await ProcessCluster.StartAsync(3);
        await cluster.AnnounceManyAsync("copy", 30);
        var member = cluster[1];
        var before = (await cluster.WaitViewsAgreeAsync(30)).View;
        var impostor = cluster.CreateExtra(member.NodeId);
        CopyDirectory(member.DataDirectory, impostor.DataDirectory);
        if (advertisesTheMembersUrl)
        {
            impostor.Start($"--Cluster:AdvertisedUrl={member.Url}", "--Logging:LogLevel:ClusterEngine.Backplane.PeerMesh=Information");
            await Eventually.True(() => impostor.Tail().Contains("connected to peer", StringComparison.Ordinal),
                "the copy connecting to its peers", 60_000, impostor.Tail);
        }
        else
        {
            impostor.Start();
            var code = await impostor.WaitExitAsync(60_000);
            output.WriteLine($"the impostor exited with {code}:\n{impostor.Tail()}");
            Assert.Equal(2, code); // refused at its Hello: another URL while the member is alive
        }

        // Five seconds (five failure timeouts) in which the real member must stay Up in every view and keep its clients.
        var until = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < until)
        {
            foreach (var observer in cluster.Nodes)
            {
                var state = await cluster.StateAsync(observer, member);
                Assert.True(state == "Up", $"{member.NodeId} is {state} at {observer.NodeId} after the copy exited\n{cluster.Describe()}");
            }
        }

        Assert.Equal(HttpStatusCode.OK, await member.ProbeAsync("/health/ready"));
        var after = (await cluster.WaitViewsAgreeAsync(30)).View;
        Assert.Equal(before, after);
        if (impostor.IsRunning)
        {
            impostor.Kill();
        }
    }

    /// <summary>
    /// A node that advertises a URL the cluster cannot reach (a wrong <c>Cluster:AdvertisedUrl</c>, a firewall) is not made
    /// a member: it would count against the quorum and be offered clients and forwards it never gets. The seed dials the
    /// URL first and says why it did not add it; the new node logs that (event 2124) and stays not ready, retrying.
    /// </summary>
    [Fact]
    public async Task A_new_node_the_seed_cannot_reach_at_its_advertised_url_is_not_added_and_says_why()
    {
        await using var cluster = await ProcessCluster.StartAsync(2);
        var lost = cluster.CreateExtra("node-lost");
        lost.Start("--Cluster:AdvertisedUrl=http://127.0.0.1:1");
        try
        {
            await Eventually.True(() => lost.Tail().Contains("cannot reach node-lost at the URL it advertises, http://127.0.0.1:1", StringComparison.Ordinal),
                "the new node logging the seed's reason for not adding it", 60_000, lost.Tail);
            output.WriteLine(lost.Tail().Split('\n').First(l => l.Contains("cannot reach", StringComparison.Ordinal)));

            foreach (var node in cluster.Nodes)
            {
                Assert.DoesNotContain("node-lost", (await cluster.MembersAsync(node)).Keys);
                Assert.Equal(HttpStatusCode.OK, await node.ProbeAsync("/health/ready"));
            }

            Assert.True(lost.IsRunning, $"the new node exited:\n{lost.Tail()}"); // it retries: a firewall may be opened
            HttpStatusCode? ready = null; // a loaded CI host once failed the first probe (no answer): ask until it answers
            await Eventually.True(async () => (ready = await lost.ProbeAsync("/health/ready")) is not null, "the new node answering /health/ready", 30_000, lost.Tail);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready);
        }
        finally
        {
            if (lost.IsRunning)
            {
                lost.Kill();
            }
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(file);
            if (name.StartsWith("node.lock", StringComparison.Ordinal))
            {
                continue; // the copy of a running node's directory: its lock is the running process's
            }

            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
