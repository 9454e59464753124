using Microsoft.AspNetCore.StaticFiles;

namespace ClusterEngine.Origin;

/// <summary>Media types from item key extensions (the ASP.NET Core static-files table).</summary>
internal static class ContentTypes
{
    public const string Fallback = "application/octet-stream";

    private static readonly FileExtensionContentTypeProvider s_provider = new();

    public static string For(ItemKey key) =>
        s_provider.TryGetContentType(key.Value, out var contentType) ? contentType : Fallback;
}
