using System.Collections.Concurrent;
using ClusterEngine.Backplane;
using ClusterEngine.Membership;
using ClusterEngine.Mirroring;
using ClusterEngine.Mirroring.Sync;
using ClusterEngine.Placement;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClusterEngine.Tests.Mirroring;

/// <summary>
/// Mirror synchronisation primary → alternate (docs/architecture.md §8; patent "Primary Server Selection": the copies of the
/// client's cache on the primary and alternate servers are synchronised via the management backplane), with the
/// backplane replaced by direct calls: deltas since the checkpoint, the whole mirror for a new alternate, idempotence,
/// one sync per client at a time, and never a wrong 304 from an alternate that is behind.
/// </summary>
public sealed class MirrorSyncTests
{
    private const string Client = "device-1";
    private readonly Node _n1 = new("n1");
    private readonly Node _n2 = new("n2");
    private readonly Node _n3 = new("n3");
    private readonly DirectTransport _transport = new();

    public MirrorSyncTests()
    {
        foreach (var node in new[] { _n1, _n2, _n3 })
        {
            _transport.Receivers[node.Id] = node.Receiver;
        }

        Assign(Client, "n1", "n2");
    }

    private MirrorSynchronizer Sync(Node node) => new(node.State, node.Store, _transport, NullLogger<MirrorSynchronizer>.Instance);

    private void Assign(string clientId, string primary, string? alternate, long version = 1)
    {
        var delta = new AssignmentDelta(clientId, primary, alternate, new AssignmentVersion(version, primary), 0, AssignmentChangeReason.Assigned);
        foreach (var node in new[] { _n1, _n2, _n3 })
        {
            node.State.Apply([delta]);
        }
    }

    [Fact]
    public async Task First_sync_sends_the_whole_mirror_then_only_the_entries_changed_since_the_checkpoint()
    {
        var seq = _n1.Store.Record(Client, "a", 1, 10, null);
        seq = _n1.Store.Record(Client, "b", 2, 20, seq);
        var sync = Sync(_n1);

        var first = Assert.Single((await sync.SyncAsync([Client])).Results);
        seq = _n1.Store.Record(Client, "c", 3, 30, seq);
        var second = Assert.Single((await sync.SyncAsync([Client])).Results);
        var third = await sync.SyncAsync([Client]);

        Assert.True(first.Full);
        Assert.Equal(2, first.EntriesSent);
        Assert.False(second.Full);
        Assert.Equal(1, second.EntriesSent);
        Assert.Empty(third.Results); // in step: nothing to send
        Assert.Equal(seq, _n2.Store.Mirror.CurrentSequence(Client));
        Assert.Equal(Keys(_n1), Keys(_n2));
        Assert.Equal(seq, _n1.Store.Checkpoint(Client, "n2"));
    }

    [Fact]
    public async Task Failover_onto_a_synced_alternate_answers_use_cached_copy_for_the_clients_last_sequence()
    {
        var seq = _n1.Store.Record(Client, "a", 1, 10, null);
        seq = _n1.Store.Record(Client, "b", 2, 20, seq);
        await Sync(_n1).SyncAsync([Client]);

        Assert.True(_n2.Store.Decide(Client, "a", 1, seq).UseCachedCopy);
        Assert.True(_n2.Store.Decide(Client, "b", 2, seq).UseCachedCopy);
        Assert.False(_n2.Store.Decide(Client, "b", 3, seq).UseCachedCopy); // the origin changed: send it
    }

    [Fact]
    public async Task A_value_changed_and_changed_back_while_the_alternate_is_behind_never_gets_a_304()
    {
        // The client holds a=v1, synced; then a=v2 (not synced); the origin changes back to v1; the primary dies.
        var seq = _n1.Store.Record(Client, "a", 1, 10, null);
        await Sync(_n1).SyncAsync([Client]);
        seq = _n1.Store.Record(Client, "a", 2, 10, seq);

        // The alternate's entry says v1 and the origin has v1 again, but the client holds v2: only the sequence tells.
        var verdict = _n2.Store.Decide(Client, "a", 1, seq);

        Assert.False(verdict.UseCachedCopy);
        Assert.Equal(MirrorDecisionReason.SequenceMismatch, verdict.Reason);
    }

    [Fact]
    public async Task A_new_alternate_gets_the_whole_mirror()
    {
        var seq = _n1.Store.Record(Client, "a", 1, 10, null);
        seq = _n1.Store.Record(Client, "b", 2, 20, seq);
        var sync = Sync(_n1);
        await sync.SyncAsync([Client]);
        Assign(Client, "n1", "n3", version: 2);

        var result = Assert.Single((await sync.SyncAsync([Client])).Results);

        Assert.True(result.Full);
        Assert.Equal(2, result.EntriesSent);
        Assert.Equal(Keys(_n1), Keys(_n3));
        Assert.True(_n3.Store.Decide(Client, "a", 1, seq).UseCachedCopy);
    }

    [Fact]
    public async Task An_alternate_that_lost_its_mirror_refuses_the_delta_and_gets_the_whole_mirror()
    {
        var seq = _n1.Store.Record(Client, "a", 1, 10, null);
        var sync = Sync(_n1);
        await sync.SyncAsync([Client]);
        _n2.Store.Remove(Client);
        seq = _n1.Store.Record(Client, "b", 2, 20, seq);

        var result = Assert.Single((await sync.SyncAsync([Client])).Results);

        Assert.Equal(MirrorSyncStatus.Applied, result.Status);
        Assert.True(result.Full);
        Assert.Equal(Keys(_n1), Keys(_n2));
        Assert.Equal(seq, _n2.Store.Mirror.CurrentSequence(Client));
    }

    [Fact]
    public async Task Repeated_and_late_batches_change_nothing()
    {
        var seq = _n1.Store.Record(Client, "a", 1, 10, null);
        var early = new MirrorSyncBatch(1, "n1", [new MirrorSyncPart(_n1.Store.Mirror.ChangesSince(Client, 0)!, false)]);
        _n1.Store.Record(Client, "b", 2, 20, seq);
        var late = new MirrorSyncBatch(1, "n1", [new MirrorSyncPart(_n1.Store.Mirror.ChangesSince(Client, 0)!, false)]);

        Assert.Equal(MirrorSyncStatus.Applied, _n2.Receiver.Receive("n1", late).Acks[0].Status);
        Assert.Equal(MirrorSyncStatus.AlreadyCurrent, _n2.Receiver.Receive("n1", late).Acks[0].Status);
        Assert.Equal(MirrorSyncStatus.Stale, _n2.Receiver.Receive("n1", early).Acks[0].Status);
        Assert.Equal(Keys(_n1), Keys(_n2));
    }

    [Fact]
    public void The_clients_primary_refuses_a_sync_from_a_former_primary()
    {
        _n1.Store.Record(Client, "a", 1, 10, null);
        Assign(Client, "n2", "n3", version: 2); // n1 was failed over while away
        var batch = new MirrorSyncBatch(1, "n1", [new MirrorSyncPart(_n1.Store.Mirror.ChangesSince(Client, 0)!, false)]);

        Assert.Equal(MirrorSyncStatus.Refused, _n2.Receiver.Receive("n1", batch).Acks[0].Status);
        Assert.Empty(_n2.Store.Mirror.Entries(Client));
    }

    [Fact]
    public void A_snapshot_with_an_entry_without_a_key_is_refused_and_changes_nothing()
    {
        var seq = _n1.Store.Record(Client, "a", 1, 10, null);
        _n2.Receiver.Receive("n1", new MirrorSyncBatch(1, "n1", [new MirrorSyncPart(_n1.Store.Mirror.ChangesSince(Client, 0)!, false)]));
        var forged = new MirrorSnapshot(Client, true, 0, seq + 1, [new MirrorEntry("b", 2, 20, seq + 1), new MirrorEntry(null!, 3, 30, seq + 1)]);

        var ack = _n2.Receiver.Receive("n1", new MirrorSyncBatch(2, "n1", [new MirrorSyncPart(forged, false)])).Acks[0];

        Assert.Equal(MirrorSyncStatus.Refused, ack.Status);
        Assert.Equal(seq, _n2.Store.Mirror.CurrentSequence(Client));
        Assert.Equal(["a"], _n2.Store.Mirror.Entries(Client).Select(e => e.Key));
    }

    [Fact]
    public void A_snapshot_that_never_ends_is_dropped_once_it_holds_more_entries_than_any_mirror_may()
    {
        var part = new MirrorSnapshot(Client, true, 0, 0x5555_0000_0000_0009,
            [.. Enumerable.Range(0, 1_000).Select(i => new MirrorEntry($"k{i}", 1, 1, 0x5555_0000_0000_0009))]);
        var acks = new List<MirrorSyncAck>();
        for (var i = 0; i < 5; i++)
        {
            acks.AddRange(_n2.Receiver.Receive("n1", new MirrorSyncBatch(i, "n1", [new MirrorSyncPart(part, true)])).Acks);
        }

        Assert.Equal(MirrorSyncStatus.Refused, Assert.Single(acks).Status); // after 5,000 entries: more than 4,096
        var last = _n2.Receiver.Receive("n1", new MirrorSyncBatch(6, "n1", [new MirrorSyncPart(part with { Entries = [] }, false)])).Acks[0];
        Assert.Equal(MirrorSyncStatus.Applied, last.Status); // the end of it alone: the dropped parts are not merged
        Assert.Empty(_n2.Store.Mirror.Entries(Client));
    }

    [Fact]
    public void A_merge_that_fails_on_a_malformed_entry_leaves_the_mirror_as_it_was()
    {
        var mirror = MirrorTestSupport.NewMirror();
        var seq = mirror.Record(Client, "a", 1, 10, null);
        var merged = mirror.Merge(new MirrorSnapshot(Client, true, 0, 0x7777_0000_0000_0001, [new MirrorEntry("b", 2, 20, 1)]));
        Assert.Equal(MergeResult.Applied, merged);
        seq = mirror.CurrentSequence(Client);

        Assert.ThrowsAny<ArgumentException>(() => mirror.Merge(new MirrorSnapshot(Client, true, 0, seq + 1,
            [new MirrorEntry("c", 3, 30, seq + 1), new MirrorEntry(null!, 4, 40, seq + 1)])));

        Assert.Equal(seq, mirror.CurrentSequence(Client));
        Assert.Equal(["b"], mirror.Entries(Client).Select(e => e.Key));
        Assert.True(mirror.Decide(Client, "b", 2, seq).UseCachedCopy);
    }

    [Fact]
    public async Task Big_mirrors_are_cut_into_batches_below_the_budget_and_reassembled()
    {
        var seq = (ulong?)null;
        for (var i = 0; i < 200; i++)
        {
            seq = _n1.Store.Record(Client, $"items/{new string('k', 200)}/{i}", (ulong)i + 1, i, seq);
        }

        var snapshots = new[] { _n1.Store.Mirror.ChangesSince(Client, 0)! };
        var batches = MirrorSyncBatcher.Batch("n1", snapshots, 16 * 1024).ToList();
        await Sync(_n1).SyncAsync([Client]);

        Assert.True(batches.Count > 1, $"{batches.Count} batch(es)");
        Assert.All(batches, b => Assert.True(Estimate(b) <= 16 * 1024, $"batch of {Estimate(b)} bytes"));
        Assert.Equal(200, batches.Sum(b => b.Parts.Sum(p => p.Snapshot.Entries.Count)));
        Assert.Equal(Keys(_n1), Keys(_n2));
        Assert.Equal(seq, _n2.Store.Mirror.CurrentSequence(Client));
    }

    [Fact]
    public async Task One_sync_carries_many_clients_in_one_batch()
    {
        var clients = Enumerable.Range(0, 50).Select(i => $"dev-{i}").ToList();
        foreach (var id in clients)
        {
            Assign(id, "n1", "n2");
            _n1.Store.Record(id, "a", 1, 10, null);
        }

        var report = await Sync(_n1).SyncAsync(clients);

        Assert.Equal(50, report.Results.Count(r => r.Status == MirrorSyncStatus.Applied));
        Assert.Equal(1, _transport.Batches);
    }

    [Fact]
    public async Task A_clients_sync_never_runs_twice_at_once_when_many_syncs_start_together()
    {
        var clients = Enumerable.Range(0, 5).Select(i => $"dup-{i}").ToList();
        foreach (var id in clients)
        {
            Assign(id, "n1", "n2");
        }

        var sync = Sync(_n1);
        _transport.Delay = TimeSpan.FromMilliseconds(2);
        var writers = Task.Run(() =>
        {
            var seqs = new ulong?[clients.Count];
            for (var round = 0; round < 40; round++)
            {
                for (var c = 0; c < clients.Count; c++)
                {
                    seqs[c] = _n1.Store.Record(clients[c], $"k{round % 7}", (ulong)round, round, seqs[c]);
                }
            }
        });
        var jobs = Enumerable.Range(0, 60).Select(i => Task.Run(() => sync.SyncAsync(i % 2 == 0 ? clients : [.. clients.AsEnumerable().Reverse()]))).ToList();
        await Task.WhenAll(jobs.Append(writers));
        await sync.SyncAsync(clients);

        Assert.Equal(1, sync.MaxConcurrentPerClient);
        Assert.True(_transport.MaxInFlightPerClient <= 1, $"{_transport.MaxInFlightPerClient} batches of one client in flight at once");
        foreach (var id in clients)
        {
            Assert.Equal(_n1.Store.Mirror.CurrentSequence(id), _n2.Store.Mirror.CurrentSequence(id));
            Assert.Equal(_n1.Store.Mirror.Entries(id).OrderBy(e => e.Key), _n2.Store.Mirror.Entries(id).OrderBy(e => e.Key));
        }
    }

    [Fact]
    public async Task An_unreachable_alternate_leaves_the_checkpoint_so_the_next_sync_sends_the_changes_again()
    {
        _n1.Store.Record(Client, "a", 1, 10, null);
        _transport.Down.Add("n2");
        var failed = Assert.Single((await Sync(_n1).SyncAsync([Client])).Results);
        _transport.Down.Clear();
        var retried = Assert.Single((await Sync(_n1).SyncAsync([Client])).Results);

        Assert.Null(failed.Status);
        Assert.False(failed.Acknowledged);
        Assert.Equal(MirrorSyncStatus.Applied, retried.Status);
        Assert.Equal(Keys(_n1), Keys(_n2));
    }

    [Fact]
    public async Task The_synchronizer_keeps_no_per_client_state_once_a_sync_is_over()
    {
        // Issue 10 item 11: it kept a lock entry (and a running count) for every client it ever synced: memory grew forever.
        var clients = Enumerable.Range(0, 200).Select(i => $"gone-{i}").ToList();
        foreach (var id in clients)
        {
            Assign(id, "n1", "n2");
            _n1.Store.Record(id, "a", 1, 10, null);
        }

        var sync = Sync(_n1);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => sync.SyncAsync(clients))));
        await sync.SyncAsync([Client, "never-assigned"]);

        Assert.Equal(0, sync.TrackedClientCount);
        Assert.Equal(1, sync.MaxConcurrentPerClient);
    }

    private static int Estimate(MirrorSyncBatch batch) => MirrorSyncBatcher.BatchOverheadBytes
        + batch.Parts.Sum(p => MirrorSyncBatcher.HeaderBytes(p.Snapshot) + p.Snapshot.Entries.Sum(MirrorSyncBatcher.EntryBytes));

    private static string[] Keys(Node node) =>
        [.. node.Store.Mirror.Entries(Client).Select(e => $"{e.Key}={e.Validator}").Order(StringComparer.Ordinal)];

    private sealed class Node
    {
        public Node(string id)
        {
            Id = id;
            State = new ClusterState(id, new ClusterOptions());
            for (var i = 1; i <= 3; i++)
            {
                State.AddOrUpdateNode(new NodeInfo($"n{i}", $"http://127.0.0.1:{5100 + i}", 100, Order: i));
            }

            Store = new MirrorStore(MirrorTestSupport.NewMirror(), TimeProvider.System);
            Receiver = new MirrorSyncReceiver(Store, State);
        }

        public string Id { get; }

        public ClusterState State { get; }

        public MirrorStore Store { get; }

        public MirrorSyncReceiver Receiver { get; }
    }

    private sealed class DirectTransport : IMirrorSyncTransport
    {
        private readonly ConcurrentDictionary<string, int> _inFlight = new(StringComparer.Ordinal);
        private int _batches;
        private int _maxInFlight;

        public Dictionary<string, MirrorSyncReceiver> Receivers { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Down { get; } = [];

        public TimeSpan Delay { get; set; }

        public int Batches => Volatile.Read(ref _batches);

        public int MaxInFlightPerClient => Volatile.Read(ref _maxInFlight);

        public async Task<MirrorSyncReply?> SendMirrorSyncAsync(string nodeId, MirrorSyncBatch batch, CancellationToken cancellationToken)
        {
            if (Down.Contains(nodeId))
            {
                return null;
            }

            Interlocked.Increment(ref _batches);
            var clients = batch.Parts.Select(p => p.Snapshot.ClientId).Distinct().ToList();
            foreach (var id in clients)
            {
                var n = _inFlight.AddOrUpdate(id, 1, (_, v) => v + 1);
                if (n > Volatile.Read(ref _maxInFlight))
                {
                    Volatile.Write(ref _maxInFlight, n);
                }
            }

            try
            {
                if (Delay > TimeSpan.Zero)
                {
                    await Task.Delay(Delay, cancellationToken);
                }

                return Receivers[nodeId].Receive(batch.FromNodeId, batch);
            }
            finally
            {
                foreach (var id in clients)
                {
                    _inFlight.AddOrUpdate(id, 0, (_, v) => v - 1);
                }
            }
        }
    }
}
