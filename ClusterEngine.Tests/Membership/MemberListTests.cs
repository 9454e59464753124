using System.IO.Hashing;
using System.Text;
using ClusterEngine.Membership;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Membership;

/// <summary>The member list's digest and version, as heartbeats and the membership authority use them (docs/recovery.md).</summary>
public sealed class MemberListTests
{
    private static MemberRecord Record(string id, long version, string by) => new(id, $"http://{id}", id, 10, 0, NodeMode.Active, false, version, by);

    [Fact]
    public void The_digest_is_a_function_of_the_records_versions_alone_the_same_in_every_process()
    {
        var a = new MemberList();
        a.Merge([Record("n1", 1, "n1"), Record("n2", 2, "n1")]);
        var b = new MemberList();
        b.Merge([Record("n2", 2, "n1")]);
        b.Merge([Record("n1", 1, "n1")]);

        // Not HashCode (seeded per process): two nodes with the same list must see the same digest.
        var expected = XxHash3.HashToUInt64(Encoding.UTF8.GetBytes("n1\n1\nn1")) ^ XxHash3.HashToUInt64(Encoding.UTF8.GetBytes("n2\n2\nn1"));
        Assert.Equal((long)expected, a.Digest);
        Assert.Equal(a.Digest, b.Digest);
        b.Merge([Record("n2", 3, "n2")]);
        Assert.NotEqual(a.Digest, b.Digest);
    }

    [Fact]
    public void A_stamp_is_one_past_the_highest_version_seen_or_carried()
    {
        var list = new MemberList(new FakeTimeProvider(DateTimeOffset.UnixEpoch)); // wall part 0: the logical count alone
        list.Merge([Record("n1", 5, "n1"), Record("n2", 2, "n1")]);

        Assert.Equal(6, list.Update(Record("n2", 0, ""), "n1").Version);
        Assert.Equal(10, list.Update(Record("n3", 9, ""), "n1").Version); // a node added from a cluster of its own
        Assert.Equal(10, list.Version);
    }

    [Fact]
    public void A_stamp_alone_leaves_the_list_unchanged_and_later_stamps_newer()
    {
        // A removal is stamped when decided and enters the list only once the removed node confirmed it (MembershipAuthority).
        var list = new MemberList(new FakeTimeProvider(DateTimeOffset.UnixEpoch));
        list.Merge([Record("n1", 5, "n1"), Record("n2", 2, "n1")]);
        var digest = list.Digest;

        var removal = list.Stamp(Record("n2", 0, "") with { Removed = true }, "n1");
        var next = list.Stamp(Record("n1", 0, ""), "n1");

        Assert.Equal((6, "n1"), (removal.Version, removal.VersionNodeId));
        Assert.Equal(7, next.Version);
        Assert.False(list.Get("n2")!.Removed);
        Assert.Equal(digest, list.Digest);
        list.Merge([removal]);
        Assert.True(list.Get("n2")!.Removed);
    }

    [Fact]
    public void A_change_stamped_later_outranks_one_stamped_earlier_by_a_list_that_had_counted_further()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));
        var busy = new MemberList(time);
        busy.Merge([Record("n1", 1, "n1"), Record("n2", 1, "n1")]);
        MemberRecord early = null!;
        for (var i = 0; i < 1000; i++)
        {
            early = busy.Update(Record("n2", 0, "") with { Capacity = 10 + (i % 5) }, "n1"); // many changes in one millisecond
        }

        var stale = new MemberList(time); // was away: never saw those 1,000 changes
        stale.Merge([Record("n1", 1, "n1"), Record("n2", 1, "n1")]);
        time.Advance(TimeSpan.FromSeconds(1));
        var later = stale.Update(Record("n2", 0, "") with { Mode = NodeMode.Maintenance }, "n3");

        Assert.True(later.Version > early.Version, $"{later.Version} should outrank {early.Version}");
        busy.Merge([later]);
        Assert.Equal(NodeMode.Maintenance, busy.Get("n2")!.Mode);
    }
}
