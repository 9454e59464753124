using ClusterPortal.Client.Contract;
using Microsoft.Extensions.Logging;

namespace ClusterEngine.Origin;

/// <summary>Turns file-system events under the origin root into "this key (or everything) may have changed".</summary>
internal sealed class FileSystemOriginWatcher : IDisposable
{
    private readonly string _root;
    private readonly Action<ItemKey?> _changed;
    private readonly ILogger _logger;
    private readonly FileSystemWatcher _watcher;

    public FileSystemOriginWatcher(string root, Action<ItemKey?> changed, ILogger logger)
    {
        _root = root;
        _changed = changed;
        _logger = logger;
        _watcher = new FileSystemWatcher(root)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        _watcher.Changed += OnChanged;
        _watcher.Created += OnChanged;
        _watcher.Deleted += OnChanged;
        _watcher.Renamed += OnRenamed;
        _watcher.Error += OnError;
        _watcher.EnableRaisingEvents = true;
    }

    public void Dispose() => _watcher.Dispose();

    private void OnChanged(object sender, FileSystemEventArgs e) => Report(e.FullPath);

    private void OnRenamed(object sender, RenamedEventArgs e)
    {
        Report(e.OldFullPath);
        Report(e.FullPath);
    }

    private void OnError(object sender, ErrorEventArgs e)
    {
        OriginLog.WatcherFailed(_logger, e.GetException(), _root);
        _changed(null);
    }

    private void Report(string fullPath)
    {
        var text = Path.GetRelativePath(_root, fullPath).Replace(Path.DirectorySeparatorChar, '/');
        if (ItemKey.TryParse(text, out var key))
        {
            _changed(key);
        }
    }
}
