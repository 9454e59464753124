using System.Text.RegularExpressions;

namespace ClusterEngine.Origin;

/// <summary>
/// The temporary file a write of the file-system origin goes through (<c>.{name}.{32 hex digits}.tmp</c> beside the item,
/// then moved over it in one step): never an item, so never listed or served, even when a crash left one behind.
/// </summary>
internal static partial class TemporaryItemFile
{
    /// <summary>A new temporary path beside <paramref name="itemPath"/>.</summary>
    public static string For(string itemPath) =>
        Path.Join(Path.GetDirectoryName(itemPath), $".{Path.GetFileName(itemPath)}.{Guid.NewGuid():N}.tmp");

    /// <summary>True when <paramref name="fileName"/> (the last segment of a key or path) names such a temporary file.</summary>
    public static bool IsTemporary(string fileName) => Pattern().IsMatch(fileName);

    [GeneratedRegex("^\\..+\\.[0-9a-f]{32}\\.tmp$")]
    private static partial Regex Pattern();
}
