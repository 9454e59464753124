using ClusterPortal.Client.Contract;

namespace ClusterEngine.Origin;

/// <summary>
/// Resolves an item key to a physical path under a root directory, following every symbolic link on the way
/// (like <c>realpath</c>) and refusing any path that leaves the root (docs/architecture.md §5: nothing outside the origin
/// root is ever read). A link may point anywhere inside the root; absolute targets must lie under the root path.
/// The check and the later open are not atomic: whoever can create links inside the root while it is served can race it.
/// </summary>
internal static class ContainedPath
{
    private const int MaxLinks = 40;

    /// <summary>The resolved path, or <see langword="null"/> when it leaves <paramref name="root"/> (or links nest too deep).</summary>
    /// <param name="root">A full, normalised directory path without a trailing separator.</param>
    /// <param name="key">The item key.</param>
    public static string? Resolve(string root, ItemKey key)
    {
        var pending = new Stack<string>(key.Segments.Reverse());
        var current = root;
        var links = 0;
        while (pending.TryPop(out var segment))
        {
            if (segment is "" or ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (current.Length <= root.Length)
                {
                    return null;
                }

                current = Path.GetDirectoryName(current)!;
                continue;
            }

            var next = Path.Join(current, segment);
            var target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }

            if (++links > MaxLinks)
            {
                return null;
            }

            if (Path.IsPathRooted(target))
            {
                var full = Path.GetFullPath(target);
                if (!IsUnder(full, root))
                {
                    return null;
                }

                target = Path.GetRelativePath(root, full);
                current = root;
            }

            foreach (var part in target.Split('/', '\\').Reverse())
            {
                pending.Push(part);
            }
        }

        return current;
    }

    public static bool IsUnder(string path, string root) =>
        path.Length > root.Length
            ? path.StartsWith(root, StringComparison.Ordinal) && path[root.Length] == Path.DirectorySeparatorChar
            : string.Equals(path, root, StringComparison.Ordinal);
}
