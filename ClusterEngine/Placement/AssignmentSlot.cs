using System.Runtime.InteropServices;

namespace ClusterEngine.Placement;

/// <summary>
/// Compact in-memory form of one assignment (20 bytes): node indices instead of strings, the version
/// as counter plus deciding node index, and when the client was last seen (seconds since
/// <see cref="Epoch"/>, local knowledge: not part of the version). <c>Primary == -1</c> marks a removed
/// client (tombstone), kept so that a late, older delta cannot bring the client back.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 2)]
internal readonly record struct AssignmentSlot(long Counter, short Origin, short Primary, short Alternate, byte Bounces, uint LastSeen = 0)
{
    /// <summary>Start of the <see cref="LastSeen"/> clock (seconds; a uint lasts until 2156).</summary>
    public static readonly DateTimeOffset Epoch = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static uint ToLastSeen(DateTimeOffset now) => (uint)Math.Clamp((now - Epoch).TotalSeconds, 1, uint.MaxValue);

    public const short None = -1;

    public bool IsRemoved => Primary == None;

    public bool HasAlternate => Alternate != None;

    /// <summary>The public form of this slot, naming nodes by <paramref name="ids"/> (node ids by index).</summary>
    public Assignment ToAssignment(string clientId, string[] ids) => new(
        clientId, ids[Primary], HasAlternate ? ids[Alternate] : null, new AssignmentVersion(Counter, ids[Origin]), Bounces);
}
