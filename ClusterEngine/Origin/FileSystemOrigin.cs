using ClusterPortal.Client.Contract;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Origin;

/// <summary>
/// Items from a directory (docs/architecture.md §11: the same content on every node): the key <c>a/b.json</c> is the file
/// <c>{Root}/a/b.json</c>. Keys are resolved following symbolic links and refused when they leave the root.
/// Watches the directory and raises <see cref="Changed"/>; revalidates by last write time and length.
/// </summary>
public sealed class FileSystemOrigin : IWritableItemOrigin, IDisposable
{
    private readonly string _root;
    private readonly long _maxItemBytes;
    private readonly ILogger _logger;
    private readonly FileSystemOriginWatcher? _watcher;

    /// <summary>Creates the origin over <see cref="OriginOptions.Root"/>.</summary>
    /// <param name="options">Origin options: <see cref="OriginOptions.Root"/> and <see cref="OriginOptions.MaxItemBytes"/>.</param>
    /// <param name="logger">Logger.</param>
    /// <exception cref="DirectoryNotFoundException">The root directory does not exist.</exception>
    public FileSystemOrigin(IOptions<OriginOptions> options, ILogger<FileSystemOrigin> logger)
        : this(options, logger, watch: true)
    {
    }

    internal FileSystemOrigin(IOptions<OriginOptions> options, ILogger<FileSystemOrigin> logger, bool watch)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var root = options.Value.Root ?? throw new DirectoryNotFoundException("Origin:Root is not set.");
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        if (!Directory.Exists(_root))
        {
            throw new DirectoryNotFoundException($"The origin root '{_root}' does not exist.");
        }

        _maxItemBytes = options.Value.MaxItemBytes;
        _logger = logger;
        _watcher = watch ? new FileSystemOriginWatcher(_root, key => Changed?.Invoke(this, new OriginChangedEventArgs(key)), logger) : null;
        OriginLog.FileSystemOriginStarted(logger, _root, watch);
    }

    /// <inheritdoc/>
    public event EventHandler<OriginChangedEventArgs>? Changed;

    /// <summary>The full path of the root directory.</summary>
    public string Root => _root;

    /// <inheritdoc/>
    public async ValueTask<OriginItem?> GetAsync(ItemKey key, OriginItem? cached, CancellationToken cancellationToken)
    {
        var file = new FileInfo(PathOf(key));
        if (!file.Exists || TemporaryItemFile.IsTemporary(file.Name))
        {
            return null; // a write's temporary file is never an item
        }

        var lastModified = new DateTimeOffset(file.LastWriteTimeUtc);
        if (cached is not null && cached.LastModified == lastModified && cached.Length == file.Length)
        {
            return cached;
        }

        if (file.Length > _maxItemBytes)
        {
            throw new InvalidDataException($"Item '{key}' has {file.Length} bytes; Origin:MaxItemBytes is {_maxItemBytes}.");
        }

        try
        {
            var bytes = await File.ReadAllBytesAsync(file.FullName, cancellationToken);
            var item = new OriginItem(key, bytes, ContentTypes.For(key), lastModified);
            OriginLog.ItemLoaded(_logger, key.Value, item.Length, item.ETag);
            return item;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null; // deleted between the check and the read
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<ItemKey>> ListAsync(CancellationToken cancellationToken)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        var keys = Directory.EnumerateFiles(_root, "*", options)
            .Where(path => !TemporaryItemFile.IsTemporary(Path.GetFileName(path)))
            .Select(path => Path.GetRelativePath(_root, path).Replace(Path.DirectorySeparatorChar, '/'))
            .Select(text => ItemKey.TryParse(text, out var key) ? key : null)
            .OfType<ItemKey>()
            .OrderBy(key => key.Value, StringComparer.Ordinal)
            .ToList();
        return ValueTask.FromResult<IReadOnlyList<ItemKey>>(keys);
    }

    /// <inheritdoc/>
    public async ValueTask<OriginItem> PutAsync(ItemKey key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (Directory.Exists(path))
        {
            throw new IOException($"'{key}' is a directory at the origin; an item cannot replace it.");
        }

        if (TemporaryItemFile.IsTemporary(Path.GetFileName(path)))
        {
            // Such a file is never listed or served, and could be another write's temporary file.
            throw new IOException($"'{key}' has the name of a write's temporary file (.name.<32 hex digits>.tmp); choose another name.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = TemporaryItemFile.For(path);
        try
        {
            await File.WriteAllBytesAsync(temporary, content, cancellationToken);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            DeleteQuietly(temporary); // a refused or cancelled write leaves nothing behind
            throw;
        }

        return new OriginItem(key, content.ToArray(), ContentTypes.For(key), new DateTimeOffset(File.GetLastWriteTimeUtc(path)));
    }

    /// <inheritdoc/>
    public ValueTask<bool> DeleteAsync(ItemKey key, CancellationToken cancellationToken)
    {
        var file = new FileInfo(PathOf(key));
        if (!file.Exists || TemporaryItemFile.IsTemporary(file.Name))
        {
            return ValueTask.FromResult(false);
        }

        file.Delete();
        return ValueTask.FromResult(true);
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The write's own error is the one to report.
        }
    }

    /// <summary>Stops watching the directory.</summary>
    public void Dispose() => _watcher?.Dispose();

    private string PathOf(ItemKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var path = ContainedPath.Resolve(_root, key);
        if (path is null || path.Length <= _root.Length)
        {
            OriginLog.KeyOutsideRoot(_logger, key.Value, _root);
            throw new InvalidItemKeyException(key.Value, ItemKeyError.OutsideRoot);
        }

        return path;
    }
}
