using System.Runtime.InteropServices;

namespace ClusterEngine.Placement;

/// <summary>
/// Compact in-memory form of one assignment (28 bytes): node indices instead of strings, the version
/// as counter plus deciding node index, when the client was last seen (seconds since
/// <see cref="Epoch"/>, local knowledge: not part of the version), and the <see cref="Registration"/> the
/// assignment belongs to. <c>Primary == -1</c> marks a removed client (tombstone), kept so that a late, older delta
/// cannot bring the client back.
/// </summary>
/// <param name="Counter">Version counter of the last change.</param>
/// <param name="Origin">Index of the node that decided the last change.</param>
/// <param name="Primary">Index of the primary, or <see cref="None"/> for a removed client.</param>
/// <param name="Alternate">Index of the alternate, or <see cref="None"/>.</param>
/// <param name="Bounces">Bounces made when the client was placed.</param>
/// <param name="LastSeen">When the client was last seen (seconds since <see cref="Epoch"/>; 0: now, when stored).</param>
/// <param name="Registration">The version counter of the decision that placed the client id anew (an announce of an id
/// without a live assignment): kept through failovers, alternate changes and restarts, new when the id has been removed
/// and is announced again. Client tokens carry it, so a token of an earlier registration of the same id opens nothing
/// (docs/architecture.md §5). 0: unknown (an assignment made or stored by a build without it).</param>
[StructLayout(LayoutKind.Sequential, Pack = 2)]
internal readonly record struct AssignmentSlot(long Counter, short Origin, short Primary, short Alternate, byte Bounces, uint LastSeen = 0, long Registration = 0)
{
    /// <summary>Start of the <see cref="LastSeen"/> clock (seconds; a uint lasts until 2156).</summary>
    public static readonly DateTimeOffset Epoch = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static uint ToLastSeen(DateTimeOffset now) => (uint)Math.Clamp((now - Epoch).TotalSeconds, 1, uint.MaxValue);

    public const short None = -1;

    public bool IsRemoved => Primary == None;

    public bool HasAlternate => Alternate != None;

    /// <summary>The public form of this slot, naming nodes by <paramref name="ids"/> (node ids by index).</summary>
    public Assignment ToAssignment(string clientId, string[] ids) => new(
        clientId, ids[Primary], HasAlternate ? ids[Alternate] : null, new AssignmentVersion(Counter, ids[Origin]), Bounces, Registration);
}
