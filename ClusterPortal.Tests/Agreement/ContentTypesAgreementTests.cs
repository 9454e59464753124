using ClusterEngine.Origin;
using ClusterPortal.Client.Contract;
using Microsoft.AspNetCore.StaticFiles;

namespace ClusterPortal.Tests.Agreement;

/// <summary>
/// The engine's small media-type table (it has no ASP.NET Core) names each extension it knows as ASP.NET Core's
/// static-files table does; unknown extensions are application/octet-stream.
/// </summary>
public sealed class ContentTypesAgreementTests
{
    private static readonly FileExtensionContentTypeProvider s_framework = new();

    [Fact]
    public void Every_known_extension_has_the_frameworks_media_type()
    {
        Assert.NotEmpty(ContentTypes.Known);
        foreach (var (extension, mediaType) in ContentTypes.Known)
        {
            Assert.True(s_framework.TryGetContentType("item" + extension, out var expected), $"{extension} is unknown to ASP.NET Core");
            Assert.Equal((extension, expected), (extension, mediaType));
        }
    }

    [Theory]
    [InlineData("weather/today.json", "application/json")]
    [InlineData("hello.TXT", "text/plain")]
    [InlineData("firmware/update.bin", "application/octet-stream")]
    [InlineData("no-extension", "application/octet-stream")]
    [InlineData("odd/file.unknownext", "application/octet-stream")]
    [InlineData("a.b/c", "application/octet-stream")]
    public void Keys_get_their_media_type_by_extension(string key, string expected) =>
        Assert.Equal(expected, ContentTypes.For(ItemKey.Parse(key)));
}
