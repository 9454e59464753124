using System.Runtime.InteropServices;

namespace ClusterEngine.Placement;

/// <summary>
/// Compact in-memory form of one assignment (16 bytes): node indices instead of strings, the version
/// as counter plus deciding node index. <c>Primary == -1</c> marks a removed client (tombstone), kept
/// so that a late, older delta cannot bring the client back.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 2)]
internal readonly record struct AssignmentSlot(long Counter, short Origin, short Primary, short Alternate, byte Bounces)
{
    public const short None = -1;

    public bool IsRemoved => Primary == None;

    public bool HasAlternate => Alternate != None;
}
