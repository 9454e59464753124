using ClusterEngine.Backplane;
using ClusterEngine.Membership;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Membership;

/// <summary>
/// A joining node counts a peer's table only when it was pulled while the peer's own connection to this node was open
/// throughout (the peer's later changes then arrive over it), else once the one-way grace has passed (docs/recovery.md,
/// "Both directions").
/// </summary>
public sealed class CatchUpLedgerTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);
    private readonly FakeTimeProvider _time = new();
    private readonly CatchUpLedger _ledger;

    public CatchUpLedgerTests() => _ledger = new CatchUpLedger(_time, Grace);

    private long Now => _time.GetTimestamp();

    [Fact]
    public void A_pull_with_the_peers_connection_open_throughout_counts_at_once()
    {
        var open = new InboundState(true, 1);
        Assert.True(_ledger.NeedsPull("b", open, Now));

        Assert.True(_ledger.Completed("b", open, open, Now));

        Assert.True(_ledger.Counts("b", Now));
        Assert.False(_ledger.NeedsPull("b", open, Now));
        Assert.False(_ledger.Counts("c", Now));
    }

    [Theory]
    [InlineData(false, 0, false, 0)] // never open: the peer's changes since the pull can only have been lost
    [InlineData(false, 0, true, 1)] // opened while the pull ran: what it sent before is missing
    [InlineData(true, 1, false, 2)] // closed while the pull ran
    [InlineData(true, 1, true, 3)] // closed and opened again while the pull ran
    public void A_pull_without_the_peers_connection_open_throughout_does_not_count_until_the_grace_has_passed(bool openAtStart, long genAtStart, bool openAtEnd, long genAtEnd)
    {
        Assert.False(_ledger.Completed("b", new InboundState(openAtStart, genAtStart), new InboundState(openAtEnd, genAtEnd), Now));

        Assert.False(_ledger.Counts("b", Now));
        _time.Advance(Grace - TimeSpan.FromMilliseconds(1));
        Assert.False(_ledger.Counts("b", Now));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(_ledger.Counts("b", Now), "a connection that never opens must not keep the node Joining forever");
    }

    [Fact]
    public void After_a_one_way_pull_the_next_pull_waits_for_the_peers_connection_and_then_counts()
    {
        var closed = new InboundState(false, 0);
        _ledger.Completed("b", closed, closed, Now);

        Assert.False(_ledger.NeedsPull("b", closed, Now)); // pulling again is no better until the connection opens
        var open = new InboundState(true, 1);
        Assert.True(_ledger.NeedsPull("b", open, Now));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(_ledger.Completed("b", open, open, Now));
        Assert.True(_ledger.Counts("b", Now));
    }

    [Fact]
    public void The_grace_counts_from_the_first_one_way_pull_and_a_new_round_forgets_everything()
    {
        var closed = new InboundState(false, 0);
        _ledger.Completed("b", closed, closed, Now);
        _time.Advance(TimeSpan.FromSeconds(2));
        _ledger.Completed("b", closed, closed, Now);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(_ledger.Counts("b", Now));

        _ledger.Reset();

        Assert.False(_ledger.Counts("b", Now));
        Assert.True(_ledger.NeedsPull("b", closed, Now));
    }

    [Fact]
    public void Inbound_peers_count_opens_and_closes_per_peer()
    {
        var inbound = new InboundPeers();
        Assert.Equal(new InboundState(false, 0), inbound.StateOf("b"));

        inbound.Opened("b");
        var first = inbound.StateOf("b");
        inbound.Opened("b"); // a second connection (the old one not yet closed after a reconnect)
        inbound.Closed("b");

        Assert.True(inbound.StateOf("b").Open);
        Assert.NotEqual(first.Generation, inbound.StateOf("b").Generation);
        inbound.Closed("b");
        inbound.Closed("b"); // a close never counts below zero
        Assert.False(inbound.StateOf("b").Open);
        inbound.Opened("b");
        Assert.True(inbound.StateOf("b").Open);
        Assert.False(inbound.StateOf("c").Open);
    }
}
