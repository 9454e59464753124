using System.Globalization;
using System.Runtime.InteropServices;
using ClusterPortal.LinkEmulator;

// ClusterPortal.LinkEmulator --queue N [--delay-ms D] [--jitter-ms J] [--loss P] [--seed S]
// Binds NFQUEUE queue N in the network namespace it runs in (run it with `ip netns exec NS dotnet …`), prints "ready",
// then gives every queued packet its verdict after D ± J ms (uniform), dropping a share P (0–1) of them. SIGTERM or
// SIGINT accepts whatever is held and exits 0. Exit 2: bad arguments; 1: the queue could not be bound (not root, or a
// kernel without nfnetlink_queue).
var settings = EmulatorSettings.Parse(args);
if (settings is null)
{
    Console.Error.WriteLine("usage: ClusterPortal.LinkEmulator --queue N [--delay-ms D] [--jitter-ms J] [--loss P] [--seed S]  (0 ≤ N ≤ 65535, D ≥ 0, 0 ≤ J ≤ D, 0 ≤ P < 1)");
    return 2;
}

using var queue = NetfilterQueue.TryOpen(settings.Queue, out var error);
if (queue is null)
{
    Console.Error.WriteLine($"cannot bind NFQUEUE {settings.Queue}: {error}");
    return 1;
}

var link = new DelayLine(queue, settings);
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"ready queue={settings.Queue} delay={settings.DelayMs}ms jitter={settings.JitterMs}ms loss={settings.Loss}"));
link.Run();
return 0;

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    link.Stop();
}
