using ClusterEngine.Mirroring;
using static ClusterEngine.Tests.Mirroring.MirrorTestSupport;

namespace ClusterEngine.Tests.Mirroring;

/// <summary>
/// Random traffic against a primary and an alternate: lost and reordered answers, concurrent requests,
/// origin values that change and change back, cleared caches, late syncs and failovers. The client keeps
/// what the answers it receives tell it and follows the client rule of docs/architecture.md §8 as refined here: it adopts an
/// answer's sequence only when its last sequence still is the one it echoed on that request; a 200 it cannot
/// adopt makes it echo nothing next; a 304 whose ETag is not the stored copy's changes nothing.
/// Property: every mirror-based 304 (patent Fig. 9 step 930) reaches a client that holds that version.
/// </summary>
public sealed class CacheMirrorSimulationTests
{
    private readonly Dictionary<string, ulong> _origin = [];
    private readonly Dictionary<string, ulong> _clientCache = [];
    private readonly List<Answer> _inFlight = [];
    private readonly CacheMirror[] _nodes = [NewMirror(maxEntries: 3), NewMirror(maxEntries: 3)];
    private ulong? _clientSequence;
    private int _primary;
    private ulong _checkpoint;
    private MirrorSnapshot? _delayedSync;
    private int _mirror304s;
    private readonly List<string> _trace = [];

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 50)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Fig9_step930_random_lossy_traffic_never_yields_a_wrong_mirror_304(int seed)
    {
        var random = new Random(seed);
        for (var step = 0; step < 3_000; step++)
        {
            var key = $"k{random.Next(5)}";
            switch (random.Next(10))
            {
                case 0: _origin[key] = (ulong)random.Next(1, 4); _trace.Add($"origin {key}={_origin[key]}"); break;
                case 1 or 2: RequestWithMirror(key); break;
                case 3: RequestWithValidator(key); break;
                case 4: Sync(random); break;
                case 5 when random.Next(8) == 0: _primary = 1 - _primary; _checkpoint = 0; _trace.Add("failover"); break;
                case 6 when random.Next(8) == 0: ClearClientCache(random); break;
                default: DeliverOrLose(random); break;
            }
        }

        Assert.True(_mirror304s > 0, "the simulation should exercise mirror 304s");
    }

    private CacheMirror Primary => _nodes[_primary];

    private ulong Current(string key) => _origin.TryGetValue(key, out var v) ? v : 1;

    private void RequestWithMirror(string key)
    {
        var decision = Primary.Decide(TestClient, key, Current(key), _clientSequence);
        _trace.Add($"mirror-req {key} cur={Current(key)} echo={_clientSequence:x} node={_primary} -> {decision}");
        if (decision.UseCachedCopy)
        {
            // The mirror vouches for what the client held when it sent the request (and echoed its sequence).
            _mirror304s++;
            Assert.True(
                _clientCache.TryGetValue(key, out var held) && held == Current(key),
                $"wrong 304 for {key}: the client holds {(_clientCache.TryGetValue(key, out var h) ? h : null)}, not {Current(key)}\n{string.Join("\n", _trace.TakeLast(40))}");
            _inFlight.Add(new Answer(key, Current(key), decision.Sequence, _clientSequence, IsMirror304: true));
            return;
        }

        Send200(key);
    }

    private void RequestWithValidator(string key)
    {
        if (_clientCache.TryGetValue(key, out var held) && held == Current(key))
        {
            var sequence = Primary.Record(TestClient, key, held, 10, _clientSequence); // Fig. 10 step 1050/1070
            _trace.Add($"own304 {key}={held} echo={_clientSequence:x} node={_primary} -> {sequence:x}");
            _inFlight.Add(new Answer(key, held, sequence, _clientSequence, IsMirror304: false, IsOwn304: true));
            return;
        }

        Send200(key);
    }

    private void Send200(string key)
    {
        var sequence = Primary.Record(TestClient, key, Current(key), 10, _clientSequence);
        _trace.Add($"200 {key}={Current(key)} echo={_clientSequence:x} node={_primary} -> {sequence:x}");
        _inFlight.Add(new Answer(key, Current(key), sequence, _clientSequence, IsMirror304: false));
    }

    private void Sync(Random random)
    {
        var alternate = _nodes[1 - _primary];
        if (_delayedSync is not null && random.Next(2) == 0)
        {
            _trace.Add($"late sync {_delayedSync.Sequence:x} -> {alternate.Merge(_delayedSync)}"); // a sync that arrives late
            _delayedSync = null;
            return;
        }

        var snapshot = Primary.ChangesSince(TestClient, _checkpoint);
        if (snapshot is null)
        {
            return;
        }

        if (random.Next(4) == 0)
        {
            _delayedSync = snapshot;
            return;
        }

        var result = alternate.Merge(snapshot);
        if (result == MergeResult.NeedsFullSync)
        {
            snapshot = Primary.ChangesSince(TestClient, 0)!;
            result = alternate.Merge(snapshot);
        }

        _trace.Add($"sync full={snapshot.IsFull} {snapshot.BaseSequence:x}->{snapshot.Sequence:x} [{string.Join(",", snapshot.Entries)}] -> {result}");
        if (result is MergeResult.Applied or MergeResult.AlreadyCurrent)
        {
            _checkpoint = snapshot.Sequence;
        }
    }

    private void ClearClientCache(Random random)
    {
        _clientCache.Clear();
        _clientSequence = null;
        if (random.Next(2) == 0) // the DELETE may be lost
        {
            var sequence = Primary.Clear(TestClient);
            _clientSequence = sequence == 0 ? null : sequence;
        }
    }

    private void DeliverOrLose(Random random)
    {
        if (_inFlight.Count == 0)
        {
            return;
        }

        var answer = _inFlight[random.Next(_inFlight.Count)];
        _inFlight.Remove(answer);
        if (random.Next(5) == 0)
        {
            return; // lost in transit
        }

        _trace.Add($"deliver {answer}");
        var adopt = _clientSequence == answer.Echo; // nothing else was applied since this request was sent
        if (!answer.IsMirror304 && !answer.IsOwn304)
        {
            _clientCache[answer.Key] = answer.Validator;
            _clientSequence = adopt ? answer.Sequence : null; // a 200 applied out of turn: echo nothing next
            return;
        }

        // RFC 9111 §4.3.4: a 304 whose ETag is not the stored copy's freshens nothing; the copy is unchanged.
        if (adopt && _clientCache.TryGetValue(answer.Key, out var held) && held == answer.Validator)
        {
            _clientSequence = answer.Sequence;
        }
    }

    private sealed record Answer(string Key, ulong Validator, ulong Sequence, ulong? Echo, bool IsMirror304, bool IsOwn304 = false);
}
