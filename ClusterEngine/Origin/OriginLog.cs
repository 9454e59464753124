using Microsoft.Extensions.Logging;

namespace ClusterEngine.Origin;

/// <summary>Source-generated log messages of the origin area (event ids 3100–3199).</summary>
internal static partial class OriginLog
{
    [LoggerMessage(EventId = LogEvents.FileSystemOriginStarted, Level = LogLevel.Information, Message = "File-system origin serves {Root} (watching for changes: {Watching})")]
    public static partial void FileSystemOriginStarted(ILogger logger, string root, bool watching);

    [LoggerMessage(EventId = LogEvents.WatcherFailed, Level = LogLevel.Warning, Message = "File-system watcher of {Root} failed; every cached item will be revalidated")]
    public static partial void WatcherFailed(ILogger logger, Exception exception, string root);

    [LoggerMessage(EventId = LogEvents.KeyOutsideRoot, Level = LogLevel.Warning, Message = "Item key {Key} resolves outside the origin root {Root}; refused")]
    public static partial void KeyOutsideRoot(ILogger logger, string key, string root);

    [LoggerMessage(EventId = LogEvents.ItemLoaded, Level = LogLevel.Debug, Message = "Origin item {Key} loaded: {LengthBytes} bytes, ETag {ETag}")]
    public static partial void ItemLoaded(ILogger logger, string key, long lengthBytes, string etag);

    [LoggerMessage(EventId = LogEvents.ItemTooLargeToCache, Level = LogLevel.Debug, Message = "Origin item {Key} ({LengthBytes} bytes) is larger than the origin cache ({CacheBytes} bytes); not cached")]
    public static partial void ItemTooLargeToCache(ILogger logger, string key, long lengthBytes, long cacheBytes);
}
