using ClusterEngine.Backplane;
using ClusterEngine.Placement;
using ClusterPortal.Tests.Support;
using Microsoft.AspNetCore.SignalR;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// Anti-entropy over real hubs (docs/recovery.md, "Anti-entropy"): a view that lost a delta gets the assignment from a
/// peer's bucket digests and snapshot once the digests have differed for <c>Cluster:AntiEntropyDelay</c>.
/// </summary>
[Trait("Category", "Process")]
[Trait("Category", "Cluster")]
public sealed class AntiEntropyTests
{
    [Fact]
    public async Task A_view_that_lost_deltas_gets_the_assignments_from_a_peer()
    {
        // node-2's hub drops every AssignmentChanged delta of the "lost-" clients (a lost message); the clients whose roles
        // are on node-1 and node-3 reach node-2 by no other path (no offer, no catch-up: its connections stay up).
        await using var cluster = new InProcessCluster();
        var drop = new DropDeltas("lost-");
        cluster.Add(100);
        cluster.Add(100, configure: InProcessCluster.WithHubFilter(drop));
        cluster.Add(100);
        await cluster.WaitAllUpAsync();

        for (var i = 0; i < 12; i++)
        {
            await cluster.Announce(i % 2 == 0 ? 0 : 2, $"lost-{i}");
        }

        await cluster.WaitConvergedAsync([0, 2]);
        var elsewhere = cluster.StateOf(0).Assignments(a => a.ClientId.StartsWith("lost-", StringComparison.Ordinal)
            && a.Primary != "node-2" && a.Alternate != "node-2").Select(a => a.ClientId).ToList();
        Assert.True(elsewhere.Count > 0, "round robin gave every lost- client a role on node-2");
        Assert.True(drop.Dropped > 0, "node-2's hub dropped no delta");

        await Eventually.True(() => elsewhere.All(id => cluster.StateOf(1).GetAssignment(id) is not null),
            $"node-2 holding the {elsewhere.Count} assignments it never got a delta for ({string.Join(", ", elsewhere)})");
        await cluster.WaitConvergedAsync();
    }

    /// <summary>Drops (never hands to the hub) every <c>AssignmentChanged</c> batch that holds a client id with <paramref name="prefix"/>.</summary>
    private sealed class DropDeltas(string prefix) : IHubFilter
    {
        private int _dropped;

        public int Dropped => Volatile.Read(ref _dropped);

        public ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
        {
            if (invocationContext.HubMethodName == BackplaneMethods.AssignmentChanged
                && invocationContext.HubMethodArguments is [AssignmentDelta[] deltas]
                && deltas.Any(d => d.ClientId.StartsWith(prefix, StringComparison.Ordinal)))
            {
                Interlocked.Increment(ref _dropped);
                return ValueTask.FromResult<object?>(null);
            }

            return next(invocationContext);
        }
    }
}
