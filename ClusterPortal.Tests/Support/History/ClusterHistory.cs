using System.Collections.Concurrent;
using System.Diagnostics;

namespace ClusterPortal.Tests.Support.History;

/// <summary>What a simulated device did, as it saw it.</summary>
public enum OperationKind
{
    /// <summary><c>POST /api/sessions</c> (announce or log on again).</summary>
    Announce,

    /// <summary><c>GET /api/clients/{id}/items/{key}</c>.</summary>
    Get,

    /// <summary><c>DELETE /api/sessions/{id}</c>.</summary>
    LogOff,
}

/// <summary>
/// One client operation as the device saw it: when it started and ended (<see cref="Stopwatch"/> ticks of the test
/// process, one clock for every record), what it got back and, for an item, the validator it held when it sent the
/// request (<see cref="HeldETag"/>) and the validator of the answer (<see cref="AnswerETag"/>).
/// </summary>
/// <param name="ClientId">The device's client id.</param>
/// <param name="Kind">What the device did.</param>
/// <param name="Key">The item key (Get only).</param>
/// <param name="Started">Stopwatch ticks when the operation started.</param>
/// <param name="Ended">Stopwatch ticks when it ended (answer or final failure).</param>
/// <param name="Status">The HTTP status of the final answer; null when no node answered (the operation failed).</param>
/// <param name="ServedBy">The node that answered (<c>X-Served-By</c>, or the primary a session names).</param>
/// <param name="HeldETag">The validator of the copy the device held when it sent the request (null: none).</param>
/// <param name="AnswerETag">The validator the answer named (its <c>ETag</c>).</param>
/// <param name="Error">Why the operation failed, when it did.</param>
public sealed record ClientOperation(
    string ClientId, OperationKind Kind, string? Key, long Started, long Ended, int? Status, string? ServedBy,
    string? HeldETag, string? AnswerETag, string? Error)
{
    /// <summary>True when the device got the answer it needed (2xx, 304, or 404 for an item the origin lacks).</summary>
    public bool Succeeded => Status is >= 200 and < 300 or 304 || (Kind == OperationKind.Get && Status == 404);
}

/// <summary>One client's assignment in one node's view.</summary>
/// <param name="Primary">Primary node id.</param>
/// <param name="Alternate">Alternate node id, or null.</param>
public readonly record struct ViewedAssignment(string Primary, string? Alternate);

/// <summary>
/// One node's view at one moment: whether it was serving (ready, quorum) and every assignment it holds. Taken by the
/// test through the node's own API (<c>/health/ready</c> and <c>/api/clients</c>).
/// </summary>
/// <param name="NodeId">The node whose view this is.</param>
/// <param name="Taken">Stopwatch ticks when the sample was taken (the middle of the calls that read it).</param>
/// <param name="Serving">True when the node answered ready: it may serve clients as primary.</param>
/// <param name="Assignments">Client id → assignment, as this node sees it.</param>
/// <param name="NodeStates">Node id → state (<c>Up</c>, <c>Down</c>, ...) as this node sees the members, when sampled (null: not read).</param>
public sealed record ViewSample(string NodeId, long Taken, bool Serving, IReadOnlyDictionary<string, ViewedAssignment> Assignments,
    IReadOnlyDictionary<string, string>? NodeStates = null);

/// <summary>
/// The record of a fault run, shared by the fault suite (process kills, freezes, restarts, removals) and the network
/// harness (cuts, latency, loss): every client operation and every sampled node view, from many threads at once.
/// <see cref="HistoryChecker"/> judges it.
/// </summary>
public sealed class ClusterHistory
{
    private readonly ConcurrentQueue<ClientOperation> _operations = new();
    private readonly ConcurrentQueue<ViewSample> _views = new();

    /// <summary>Now, in the clock every record uses.</summary>
    public static long Now => Stopwatch.GetTimestamp();

    /// <summary>Records one client operation.</summary>
    public void Record(ClientOperation operation) => _operations.Enqueue(operation);

    /// <summary>Records one node's view.</summary>
    public void Record(ViewSample view) => _views.Enqueue(view);

    /// <summary>Every operation recorded so far, ordered by start.</summary>
    public IReadOnlyList<ClientOperation> Operations => [.. _operations.OrderBy(o => o.Started)];

    /// <summary>Every view recorded so far, ordered by time.</summary>
    public IReadOnlyList<ViewSample> Views => [.. _views.OrderBy(v => v.Taken)];

    private static readonly (DateTime Wall, long Stamp) Anchor = (DateTime.UtcNow, Stopwatch.GetTimestamp());

    /// <summary>A record's timestamp as UTC wall-clock time (HH:mm:ss.fff), to find it in the node logs.</summary>
    public static string Wall(long stamp) =>
        Anchor.Wall.AddTicks((long)((stamp - Anchor.Stamp) * (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency))
            .ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Milliseconds between two stopwatch timestamps.</summary>
    public static double Milliseconds(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
}
