using System.Globalization;
using System.Text;

namespace ClusterPortal.Simulation;

/// <summary>Progress of a <see cref="LoadSimulator"/> run; the last one (<see cref="Finished"/>) is its summary.</summary>
/// <param name="Elapsed">Time since the devices started.</param>
/// <param name="Duration">The planned duration.</param>
/// <param name="Clients">Simulated devices.</param>
/// <param name="Online">Devices logged on right now.</param>
/// <param name="Requests">Item requests answered (200 or 304).</param>
/// <param name="NotModified">Of those, 304s (the device's cached copy was used).</param>
/// <param name="BytesSent">Item bytes the cluster sent in 200 answers.</param>
/// <param name="BytesSaved">Item bytes not sent thanks to 304s.</param>
/// <param name="Failovers">Operations a device completed at another node than its primary after a failed attempt.</param>
/// <param name="Retries">Attempts retried by the devices.</param>
/// <param name="Errors">Operations that failed after all retries (requests, logons, logoffs, item changes).</param>
/// <param name="ItemsChanged">Items changed at the origin during the run.</param>
/// <param name="LogOffs">Log-offs (each followed by a return).</param>
/// <param name="Finished">True for the final snapshot.</param>
/// <param name="Deltas">200s that came as a delta against the device's copy (RFC 9842 <c>dcz</c>).</param>
/// <param name="BytesSavedByDeltas">Item bytes not sent thanks to deltas (each item's size minus its delta's), apart from <paramref name="BytesSaved"/>.</param>
public sealed record SimulationSnapshot(TimeSpan Elapsed, TimeSpan Duration, int Clients, int Online, long Requests, long NotModified,
    long BytesSent, long BytesSaved, long Failovers, long Retries, long Errors, long ItemsChanged, long LogOffs, bool Finished,
    long Deltas = 0, long BytesSavedByDeltas = 0)
{
    /// <summary>Share of requests answered 304 (0..1).</summary>
    public double NotModifiedShare => Requests == 0 ? 0 : (double)NotModified / Requests;

    /// <summary>Requests per second over the elapsed time.</summary>
    public double RequestsPerSecond => Elapsed <= TimeSpan.Zero ? 0 : Requests / Elapsed.TotalSeconds;

    /// <summary>One status line, e.g. for a console line updated in place.</summary>
    public string StatusLine() => string.Create(CultureInfo.InvariantCulture,
        $"{Elapsed.TotalSeconds,5:0.0}/{Duration.TotalSeconds:0}s  online {Online}/{Clients}  requests {Requests} ({RequestsPerSecond:0}/s)  304 {NotModifiedShare:P1}  sent {Bytes(BytesSent)}  saved {Bytes(BytesSaved)} (+{Bytes(BytesSavedByDeltas)} by deltas)  failovers {Failovers}  errors {Errors}");

    /// <summary>The summary as plain text lines.</summary>
    public string Summary()
    {
        var text = new StringBuilder();
        void Line(string name, string value) => text.Append(CultureInfo.InvariantCulture, $"  {name,-18}{value}\n");
        text.Append(CultureInfo.InvariantCulture, $"Simulation summary: {Clients} clients, {Elapsed.TotalSeconds:0.0} s\n");
        Line("requests", string.Create(CultureInfo.InvariantCulture, $"{Requests} ({RequestsPerSecond:0.0}/s)"));
        Line("304 share", string.Create(CultureInfo.InvariantCulture, $"{NotModifiedShare:P1} ({NotModified} of {Requests})"));
        Line("bytes sent", string.Create(CultureInfo.InvariantCulture, $"{Bytes(BytesSent)} ({BytesSent} B of item bodies)"));
        Line("bytes saved", string.Create(CultureInfo.InvariantCulture, $"{Bytes(BytesSaved)} ({BytesSaved} B not sent thanks to 304s)"));
        Line("deltas", string.Create(CultureInfo.InvariantCulture, $"{Deltas} 200s as deltas, {Bytes(BytesSavedByDeltas)} ({BytesSavedByDeltas} B) not sent thanks to them"));
        Line("items changed", ItemsChanged.ToString(CultureInfo.InvariantCulture));
        Line("log-offs", string.Create(CultureInfo.InvariantCulture, $"{LogOffs} (each followed by a return)"));
        Line("failovers", string.Create(CultureInfo.InvariantCulture, $"{Failovers} ({Retries} retried attempts)"));
        Line("errors", Errors.ToString(CultureInfo.InvariantCulture));
        return text.ToString();
    }

    /// <summary>Bytes for people: B, KiB, MiB or GiB.</summary>
    internal static string Bytes(long bytes) => bytes switch
    {
        >= 1 << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1 << 30):0.00} GiB"),
        >= 1 << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1 << 20):0.00} MiB"),
        >= 1 << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
    };
}
