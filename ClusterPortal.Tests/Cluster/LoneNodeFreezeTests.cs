using System.Net;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// A node that is the only member has nobody that could have taken its clients over while it was frozen
/// (docs/recovery.md "Freezes"): after SIGSTOP/SIGCONT it notices the skipped time, logs it, and serves on — it does not
/// turn Joining and answer 503 "catching up" as a member with peers must. Before the fix a lone node went Joining after
/// every late tick; a single node on a loaded test host answered a request 503 that way once.
/// </summary>
[Collection(ProcessFailureGroup.Name)]
[Trait("Category", "Process")]
public sealed class LoneNodeFreezeTests
{
    [Fact]
    public async Task The_only_member_thawed_after_a_freeze_serves_on_without_catching_up()
    {
        await using var cluster = await ProcessCluster.StartAsync(1);
        var node = cluster[0];
        var (primary, token) = await cluster.AnnounceAsync(node, "lone-1");
        Assert.Equal(node.NodeId, primary);
        using (var before = await cluster.GetItemAsync(node, "lone-1", token))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        node.Freeze();
        try
        {
            // The stimulus, not a synchronisation: a stop longer than the 0.7 s self-silence budget of the default options.
            await Task.Delay(1_500);
        }
        finally
        {
            node.Thaw();
        }

        await Eventually.True(() => node.Tail().Contains("was frozen for", StringComparison.Ordinal),
            $"{node.NodeId} logging that it was frozen", 30_000, cluster.Describe);
        var afterThaw = node.Tail()[node.Tail().LastIndexOf("[harness] SIGCONT", StringComparison.Ordinal)..];
        Assert.Contains("the only member, it serves on", afterThaw, StringComparison.Ordinal);
        Assert.DoesNotContain("catching up", afterThaw, StringComparison.Ordinal);
        Assert.DoesNotContain($"Node {node.NodeId} is Joining", afterThaw, StringComparison.Ordinal);

        using var after = await cluster.GetItemAsync(node, "lone-1", token);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await node.ProbeAsync("/health/ready"));
        Assert.DoesNotContain($"Node {node.NodeId} is Joining", node.Tail()[node.Tail().LastIndexOf("[harness] SIGCONT", StringComparison.Ordinal)..],
            StringComparison.Ordinal);
    }
}
