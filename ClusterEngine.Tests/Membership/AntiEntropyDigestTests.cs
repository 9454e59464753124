using ClusterEngine.Membership;
using ClusterEngine.Placement;
using ClusterEngine.Tests.Support;

namespace ClusterEngine.Tests.Membership;

/// <summary>
/// The assignment digest anti-entropy compares (docs/recovery.md): equal tables have equal digests whatever the order
/// they learned their versions in; a newer version of one client changes exactly its bucket; pulling the differing
/// buckets (removals included) and merging them by version makes the digests equal again (patent Fig. 7).
/// </summary>
public sealed class AntiEntropyDigestTests
{
    [Fact]
    public void Tables_that_hold_the_same_versions_have_the_same_digests_whatever_the_order()
    {
        var a = TestCluster.Create(100, 100, 100);
        a.AnnounceMany(60);
        var b = Peer("n2", a);

        b.Apply([.. a.Assignments().Select(Fig7ReconciliationTests.ToDelta).Reverse()]);

        Assert.NotEqual(0, a.Snapshot.Digest);
        Assert.Equal(a.Snapshot.Digest, b.Snapshot.Digest);
        Assert.Equal(a.DigestBuckets(), b.DigestBuckets());
        Assert.Equal(a.Snapshot.Digest, a.DigestBuckets().Aggregate(0L, (x, y) => x ^ y));
    }

    [Fact]
    public void A_newer_version_of_one_client_differs_in_its_bucket_only_and_pulling_that_bucket_makes_the_views_agree()
    {
        var a = TestCluster.Create(100, 100, 100);
        a.AnnounceMany(60);
        var b = Peer("n2", a);
        b.Apply([.. a.Assignments().Select(Fig7ReconciliationTests.ToDelta)]);
        var lost = a.Assignments()[7];
        var newer = new AssignmentDelta(lost.ClientId, "n3", "n1", new AssignmentVersion(lost.Version.Counter + 5, "n3"), 0, AssignmentChangeReason.FailedOver);
        b.Apply([newer]); // a delta that never reached n1

        var (ours, theirs) = (a.DigestBuckets(), b.DigestBuckets());
        var differing = Enumerable.Range(0, ours.Length).Where(i => ours[i] != theirs[i]).ToHashSet();

        Assert.Single(differing);
        var pulled = b.AssignmentsInBuckets(differing);
        Assert.Contains(pulled, d => d.ClientId == lost.ClientId);
        Assert.True(pulled.Count < 60);
        a.Reconcile(pulled);
        Assert.Equal(b.Snapshot.Digest, a.Snapshot.Digest);
        Assert.Equal("n3", a.GetAssignment(lost.ClientId)!.Primary);
    }

    [Fact]
    public void A_removal_leaves_the_digest_and_its_tombstone_is_pulled_with_the_bucket()
    {
        var a = TestCluster.Create(100, 100);
        a.AnnounceMany(10);
        var b = Peer("n2", a);
        b.Apply([.. a.Assignments().Select(Fig7ReconciliationTests.ToDelta)]);
        var removed = b.Remove("c000003")!;

        var differing = Enumerable.Range(0, ClusterState.DigestBucketCount).Where(i => a.DigestBuckets()[i] != b.DigestBuckets()[i]).ToHashSet();
        var pulled = b.AssignmentsInBuckets(differing);

        Assert.Contains(pulled, d => d.ClientId == removed.ClientId && d.IsRemoval);
        a.Reconcile(pulled);
        Assert.Null(a.GetAssignment("c000003"));
        Assert.Equal(b.Snapshot.Digest, a.Snapshot.Digest);
        Assert.Equal(9, a.Snapshot.ClientCount);
    }

    private static ClusterState Peer(string id, ClusterState like)
    {
        var peer = new ClusterState(id, new ClusterOptions());
        foreach (var node in like.Nodes)
        {
            peer.AddOrUpdateNode(new NodeInfo(node.NodeId, node.Url, node.Capacity, Order: node.Order));
        }

        return peer;
    }
}
