using ClusterEngine.Origin;
using ClusterPortal.Client.Contract;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Tests.Origin;

/// <summary>The portal's shipped sample content is servable through the file-system origin.</summary>
public sealed class SampleContentTests
{
    [Fact]
    public async Task Every_sample_file_is_a_valid_key_and_readable_within_size_bounds()
    {
        using var origin = new FileSystemOrigin(Options.Create(new OriginOptions { Root = FindSampleContent() }), NullLogger<FileSystemOrigin>.Instance, watch: false);

        var keys = await origin.ListAsync(default);

        Assert.InRange(keys.Count, 30, 100);
        Assert.Equal(Directory.GetFiles(origin.Root, "*", SearchOption.AllDirectories).Length, keys.Count);
        foreach (var key in keys)
        {
            var item = await origin.GetAsync(key, null, default);
            Assert.NotNull(item);
            Assert.InRange(item.Length, key.Value == "hello.txt" ? 5 : 200, 64 * 1024);
        }

        Assert.Equal("\"81b69dda2f09a3e5\"", (await origin.GetAsync(ItemKey.Parse("hello.txt"), null, default))!.ETag);
        Assert.Equal("image/png", (await origin.GetAsync(ItemKey.Parse("images/logo.png"), null, default))!.ContentType);
    }

    private static string FindSampleContent()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Join(directory.FullName, "ClusterPortal", "SampleContent");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("ClusterPortal/SampleContent not found above the test output directory.");
    }
}
