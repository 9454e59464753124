using System.Text;
using ClusterEngine.Origin;
using ClusterPortal.Client.Contract;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Tests.Origin;

public sealed class FileSystemOriginTests : IDisposable
{
    private readonly TempDirectory _sandbox = new();
    private readonly FileSystemOrigin _origin;

    public FileSystemOriginTests()
    {
        _sandbox.Write("root/weather/today.json", """{"temp":21}""");
        _sandbox.Write("root/hello.txt", "hello");
        _sandbox.Write("outside/secret.txt", "secret");
        _origin = NewOrigin(watch: false);
    }

    private string Root => Path.Join(_sandbox.Path, "root");

    public void Dispose()
    {
        _origin.Dispose();
        _sandbox.Dispose();
    }

    [Fact]
    public async Task Fig10_step1020_item_comes_with_bytes_validator_content_type_and_last_modified()
    {
        var item = await _origin.GetAsync(ItemKey.Parse("hello.txt"), null, default);

        Assert.NotNull(item);
        Assert.Equal("hello", Encoding.UTF8.GetString(item.Content.Span));
        Assert.Equal("\"81b69dda2f09a3e5\"", item.ETag);
        Assert.Equal("text/plain", item.ContentType);
        Assert.Equal(File.GetLastWriteTimeUtc(Path.Join(Root, "hello.txt")), item.LastModified.UtcDateTime);
        Assert.Equal("application/json", (await _origin.GetAsync(ItemKey.Parse("weather/today.json"), null, default))!.ContentType);
    }

    [Fact]
    public async Task Missing_files_and_directories_are_not_found()
    {
        Assert.Null(await _origin.GetAsync(ItemKey.Parse("nothing.json"), null, default));
        Assert.Null(await _origin.GetAsync(ItemKey.Parse("weather"), null, default));
        Assert.Null(await _origin.GetAsync(ItemKey.Parse("no/such/dir.txt"), null, default));
    }

    [Fact]
    public async Task Unchanged_file_revalidates_to_the_same_instance_and_a_change_to_a_new_one()
    {
        var key = ItemKey.Parse("hello.txt");
        var first = await _origin.GetAsync(key, null, default);
        Assert.Same(first, await _origin.GetAsync(key, first, default));

        File.WriteAllText(Path.Join(Root, "hello.txt"), "hello, world");
        File.SetLastWriteTimeUtc(Path.Join(Root, "hello.txt"), first!.LastModified.UtcDateTime.AddSeconds(1));
        var second = await _origin.GetAsync(key, first, default);

        Assert.NotSame(first, second);
        Assert.Equal(ItemValidator.Compute("hello, world"u8), second!.Validator);
    }

    [Fact]
    public async Task Symlinked_file_out_of_the_root_is_refused_not_read()
    {
        File.CreateSymbolicLink(Path.Join(Root, "escape.txt"), Path.Join(_sandbox.Path, "outside", "secret.txt"));
        File.CreateSymbolicLink(Path.Join(Root, "relative.txt"), "../outside/secret.txt");

        var absolute = await Assert.ThrowsAsync<InvalidItemKeyException>(() => _origin.GetAsync(ItemKey.Parse("escape.txt"), null, default).AsTask());
        var relative = await Assert.ThrowsAsync<InvalidItemKeyException>(() => _origin.GetAsync(ItemKey.Parse("relative.txt"), null, default).AsTask());

        Assert.Equal(ItemKeyError.OutsideRoot, absolute.Error);
        Assert.Equal(ItemKeyError.OutsideRoot, relative.Error);
    }

    [Fact]
    public async Task Symlinked_directory_out_of_the_root_is_refused_also_through_a_chain_of_links()
    {
        Directory.CreateSymbolicLink(Path.Join(Root, "outdir"), Path.Join(_sandbox.Path, "outside"));
        Directory.CreateDirectory(Path.Join(Root, "sub"));
        File.CreateSymbolicLink(Path.Join(Root, "sub", "chain.txt"), "../outdir/secret.txt"); // target text stays inside

        await Assert.ThrowsAsync<InvalidItemKeyException>(() => _origin.GetAsync(ItemKey.Parse("outdir/secret.txt"), null, default).AsTask());
        await Assert.ThrowsAsync<InvalidItemKeyException>(() => _origin.GetAsync(ItemKey.Parse("sub/chain.txt"), null, default).AsTask());
        await Assert.ThrowsAsync<InvalidItemKeyException>(() => _origin.PutAsync(ItemKey.Parse("outdir/new.txt"), "x"u8.ToArray(), default).AsTask());
        Assert.False(File.Exists(Path.Join(_sandbox.Path, "outside", "new.txt")));
    }

    [Fact]
    public async Task Symlinks_inside_the_root_are_followed()
    {
        File.CreateSymbolicLink(Path.Join(Root, "alias.txt"), "weather/../hello.txt");
        Directory.CreateSymbolicLink(Path.Join(Root, "w"), Path.Join(Root, "weather"));

        Assert.Equal("\"81b69dda2f09a3e5\"", (await _origin.GetAsync(ItemKey.Parse("alias.txt"), null, default))!.ETag);
        Assert.NotNull(await _origin.GetAsync(ItemKey.Parse("w/today.json"), null, default));
    }

    [Fact]
    public async Task Put_replaces_atomically_delete_removes_and_list_shows_files_only()
    {
        var put = await _origin.PutAsync(ItemKey.Parse("news/headlines.json"), "[]"u8.ToArray(), default);

        Assert.Equal(ItemValidator.Compute("[]"u8), put.Validator);
        Assert.Equal(put.Validator, (await _origin.GetAsync(put.Key, null, default))!.Validator);
        Assert.Equal(["hello.txt", "news/headlines.json", "weather/today.json"], (await _origin.ListAsync(default)).Select(k => k.Value));
        Assert.True(await _origin.DeleteAsync(put.Key, default));
        Assert.False(await _origin.DeleteAsync(put.Key, default));
        Assert.Null(await _origin.GetAsync(put.Key, null, default));
    }

    [Fact]
    public async Task Watcher_reports_a_changed_file_by_its_key()
    {
        using var watched = NewOrigin(watch: true);
        var reported = new TaskCompletionSource<ItemKey?>(TaskCreationOptions.RunContinuationsAsynchronously);
        watched.Changed += (_, e) =>
        {
            if (e.Key?.Value == "weather/today.json")
            {
                reported.TrySetResult(e.Key);
            }
        };

        File.WriteAllText(Path.Join(Root, "weather", "today.json"), """{"temp":22}""");

        Assert.Equal(ItemKey.Parse("weather/today.json"), await reported.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_missing_root_is_refused_at_construction()
    {
        var options = Options.Create(new OriginOptions { Root = Path.Join(_sandbox.Path, "missing") });

        Assert.Throws<DirectoryNotFoundException>(() => new FileSystemOrigin(options, NullLogger<FileSystemOrigin>.Instance));
    }

    private FileSystemOrigin NewOrigin(bool watch) =>
        new(Options.Create(new OriginOptions { Root = Root }), NullLogger<FileSystemOrigin>.Instance, watch);
}
