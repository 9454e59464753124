using ClusterEngine.Backplane;
using ClusterEngine.Changes;
using ClusterEngine.Membership;
using ClusterEngine.Placement;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Backplane;

/// <summary>
/// The outbox's drain at a graceful leave (docs/recovery.md, "Graceful leave"): it is over when the send loop has handed
/// the last queued change to the peers' connections — woken by the loop, with no fixed wait after it — and it gives up
/// (false) at its deadline when nothing sends. The mesh here has no peers: a batch is "sent" the moment the loop takes it.
/// </summary>
public sealed class BackplaneOutboxTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly PeerMesh _mesh;
    private readonly BackplaneOutbox _outbox;

    public BackplaneOutboxTests()
    {
        var options = new ClusterOptions { Key = "backplane-outbox-tests-key" };
        var state = new ClusterState("n1", options);
        _mesh = new PeerMesh(state, new PeerCredentials(options.Key), new FailureDetector(_time, options.FailureTimeout), Options.Create(options),
            NullLogger<PeerMesh>.Instance);
        _outbox = new BackplaneOutbox(_mesh, _time);
    }

    private static AssignmentsChanged Local(int count) =>
        new([.. Enumerable.Range(0, count).Select(i => new AssignmentDelta($"c{i}", "n1", null, new AssignmentVersion(i + 1, "n1"), 0, AssignmentChangeReason.Assigned))], Local: true);

    [Fact]
    public async Task Nothing_queued_is_drained_at_once()
    {
        Assert.True(await _outbox.DrainAsync(TimeSpan.FromSeconds(5)));
        _outbox.OnChange(new AssignmentsChanged([], Local: true));
        _outbox.OnChange(new AssignmentsChanged([new AssignmentDelta("c", "n2", null, new AssignmentVersion(1, "n2"), 0, AssignmentChangeReason.Assigned)], Local: false));
        Assert.True(await _outbox.DrainAsync(TimeSpan.FromSeconds(5))); // a peer's change is not this node's to send
    }

    [Fact]
    public async Task A_drain_ends_when_the_send_loop_has_sent_the_last_queued_change()
    {
        _outbox.OnChange(Local(BackplaneMethods.BatchSize + 5)); // two batches
        var drain = _outbox.DrainAsync(TimeSpan.FromSeconds(5));
        Assert.False(drain.IsCompleted); // queued, nothing sends yet

        using var stop = new CancellationTokenSource();
        var loop = _outbox.RunAsync(stop.Token);

        Assert.True(await drain.WaitAsync(TimeSpan.FromSeconds(30)), "the drain did not end when everything was sent");
        Assert.True(await _outbox.DrainAsync(TimeSpan.FromSeconds(5)));
        await stop.CancelAsync();
        await loop;
    }

    [Fact]
    public async Task A_drain_gives_up_at_its_deadline_when_nothing_sends()
    {
        _outbox.OnChange(Local(3));
        var drain = _outbox.DrainAsync(TimeSpan.FromSeconds(5));

        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(drain.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(await drain.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    public async ValueTask DisposeAsync() => await _mesh.DisposeAsync();
}
