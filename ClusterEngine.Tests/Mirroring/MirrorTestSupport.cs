using ClusterEngine.Mirroring;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Tests.Mirroring;

/// <summary>
/// Mirrors with predictable lineages (1, 2, 3… in the high 32 bits, shared by all mirrors like random ones
/// would be in practice) so failures read well.
/// </summary>
internal static class MirrorTestSupport
{
    public const string TestClient = "device-1";

    private static long s_lineage;

    public static CacheMirror NewMirror(int maxEntries = 256)
    {
        var options = Options.Create(new MirrorOptions { MaxEntriesPerClient = maxEntries });
        return new CacheMirror(options, () => (ulong)Interlocked.Increment(ref s_lineage) << 32);
    }
}
