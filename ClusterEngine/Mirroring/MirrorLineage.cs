using System.Security.Cryptography;

namespace ClusterEngine.Mirroring;

/// <summary>
/// How a node numbers mirror sequences (<see cref="ClusterPortal.Client.Contract.MirrorSequence"/> on the wire): the
/// high 32 bits name a lineage (random, never 0), the low 32 bits count the changes within it. A mirror that cannot
/// tell what the client holds starts a new lineage, so a number issued by one mirror history is never mistaken for a
/// state of another (another node, a removed client).
/// </summary>
internal static class MirrorLineage
{
    private const int CounterBits = 32;

    /// <summary>The first sequence (an empty mirror) of a fresh random lineage.</summary>
    public static ulong NewLineage()
    {
        Span<byte> bytes = stackalloc byte[sizeof(uint)];
        uint lineage;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            lineage = BitConverter.ToUInt32(bytes);
        }
        while (lineage == 0);

        return (ulong)lineage << CounterBits;
    }

    /// <summary>Whether <paramref name="sequence"/> is <paramref name="current"/> or an earlier state of its lineage.</summary>
    public static bool IsAtOrBefore(ulong sequence, ulong current) =>
        sequence >> CounterBits == current >> CounterBits && sequence <= current;

    /// <summary>Whether the lineage of <paramref name="current"/> has no room for another change.</summary>
    public static bool IsExhausted(ulong current) => (uint)current == uint.MaxValue;
}
