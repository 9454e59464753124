using System.Diagnostics;

namespace ClusterPortal.LinkEmulator;

/// <summary>
/// Holds each queued packet for its delay (uniform in delay ± jitter, as netem without a distribution table), drops a
/// share of them at once, and accepts the rest when due — so packets may be reordered by the jitter, as on netem.
/// One thread reads the queue, one releases; verdicts are independent per packet id.
/// </summary>
internal sealed class DelayLine(NetfilterQueue queue, EmulatorSettings settings)
{
    private readonly PriorityQueue<uint, long> _held = new();
    private readonly object _gate = new(); // Monitor.Wait/Pulse need a monitor, not a System.Threading.Lock
    private readonly Random _random = settings.Seed is { } seed ? new Random(seed) : new Random();
    private volatile bool _stopping;

    /// <summary>Reads packets until <see cref="Stop"/>.</summary>
    public void Run()
    {
        var releaser = new Thread(Release) { IsBackground = true, Name = "release" };
        releaser.Start();
        while (!_stopping)
        {
            foreach (var id in queue.Receive())
            {
                Admit(id);
            }
        }

        releaser.Join();
    }

    /// <summary>Accepts every held packet and ends <see cref="Run"/> (its blocked read returns within 200 ms by itself).</summary>
    public void Stop()
    {
        _stopping = true;
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }

    private void Admit(uint id)
    {
        double delayMs, draw;
        lock (_gate)
        {
            draw = _random.NextDouble();
            delayMs = settings.DelayMs + (((_random.NextDouble() * 2) - 1) * settings.JitterMs);
        }

        if (draw < settings.Loss)
        {
            queue.Verdict(id, accept: false);
            return;
        }

        if (delayMs <= 0)
        {
            queue.Verdict(id, accept: true);
            return;
        }

        var due = Stopwatch.GetTimestamp() + (long)(delayMs * Stopwatch.Frequency / 1000);
        lock (_gate)
        {
            _held.Enqueue(id, due);
            Monitor.Pulse(_gate);
        }
    }

    private void Release()
    {
        while (true)
        {
            uint id;
            lock (_gate)
            {
                while (true)
                {
                    if (_held.TryPeek(out id, out var due) && (_stopping || due <= Stopwatch.GetTimestamp()))
                    {
                        _held.Dequeue();
                        break;
                    }

                    if (_stopping && _held.Count == 0)
                    {
                        return;
                    }

                    var wait = _held.Count == 0 ? 1000 : Math.Max(0, (int)Math.Ceiling((due - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency));
                    Monitor.Wait(_gate, wait);
                }
            }

            queue.Verdict(id, accept: true);
        }
    }
}
