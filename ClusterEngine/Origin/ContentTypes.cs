using System.Collections.Frozen;
using ClusterPortal.Client.Contract;

namespace ClusterEngine.Origin;

/// <summary>
/// Media types from item key extensions, for origins that know none (a file, an HTTP origin that sent no
/// <c>Content-Type</c>). The common types of device content, each as ASP.NET Core's static-files table names it
/// (a test compares them); any other extension is <see cref="Fallback"/>.
/// </summary>
internal static class ContentTypes
{
    public const string Fallback = "application/octet-stream";

    private static readonly FrozenDictionary<string, string> s_byExtension = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".txt"] = "text/plain",
        [".csv"] = "text/csv",
        [".htm"] = "text/html",
        [".html"] = "text/html",
        [".css"] = "text/css",
        [".js"] = "text/javascript",
        [".mjs"] = "text/javascript",
        [".xml"] = "text/xml",
        [".json"] = "application/json",
        [".webmanifest"] = "application/manifest+json",
        [".pdf"] = "application/pdf",
        [".zip"] = "application/x-zip-compressed",
        [".gz"] = "application/x-gzip",
        [".tar"] = "application/x-tar",
        [".wasm"] = "application/wasm",
        [".bin"] = "application/octet-stream",
        [".png"] = "image/png",
        [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg",
        [".gif"] = "image/gif",
        [".bmp"] = "image/bmp",
        [".webp"] = "image/webp",
        [".avif"] = "image/avif",
        [".svg"] = "image/svg+xml",
        [".ico"] = "image/x-icon",
        [".mp3"] = "audio/mpeg",
        [".wav"] = "audio/wav",
        [".ogg"] = "video/ogg",
        [".mp4"] = "video/mp4",
        [".webm"] = "video/webm",
        [".woff"] = "application/font-woff",
        [".woff2"] = "font/woff2",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every extension this table knows (with its dot), for tests.</summary>
    internal static IEnumerable<KeyValuePair<string, string>> Known => s_byExtension;

    public static string For(ItemKey key) =>
        s_byExtension.TryGetValue(Path.GetExtension(key.Value), out var contentType) ? contentType : Fallback;
}
