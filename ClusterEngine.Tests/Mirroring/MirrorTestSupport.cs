using ClusterEngine.Mirroring;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Tests.Mirroring;

/// <summary>Mirrors with predictable lineages (1, 2, 3… in the high 32 bits) so failures read well.</summary>
internal static class MirrorTestSupport
{
    public const string Client = "device-1";

    public static CacheMirror NewMirror(int maxEntries = 256)
    {
        ulong lineage = 0;
        var options = Options.Create(new MirrorOptions { MaxEntriesPerClient = maxEntries });
        return new CacheMirror(options, () => ++lineage << 32);
    }
}
