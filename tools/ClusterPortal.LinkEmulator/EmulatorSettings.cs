using System.Globalization;

namespace ClusterPortal.LinkEmulator;

/// <summary>What one emulator does: the NFQUEUE number it serves, the one-way delay and its jitter (ms), the loss share.</summary>
internal sealed record EmulatorSettings(ushort Queue, double DelayMs, double JitterMs, double Loss, int? Seed)
{
    /// <summary>Parses <c>--queue N --delay-ms D --jitter-ms J --loss P --seed S</c>; null when an argument is missing or out of range.</summary>
    public static EmulatorSettings? Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Count; i += 2)
        {
            if (!double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                return null;
            }

            values[args[i]] = value;
        }

        if (args.Count % 2 != 0 || values.Keys.Any(k => k is not ("--queue" or "--delay-ms" or "--jitter-ms" or "--loss" or "--seed"))
            || !values.TryGetValue("--queue", out var queue) || queue is < 0 or > 65535 || queue != Math.Floor(queue))
        {
            return null;
        }

        var delay = values.GetValueOrDefault("--delay-ms");
        var jitter = values.GetValueOrDefault("--jitter-ms");
        var loss = values.GetValueOrDefault("--loss");
        int? seed = values.TryGetValue("--seed", out var s) ? (int)s : null;
        return delay < 0 || jitter < 0 || jitter > delay || loss is < 0 or >= 1 ? null : new EmulatorSettings((ushort)queue, delay, jitter, loss, seed);
    }
}
