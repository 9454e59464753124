namespace ClusterPortal.LocalCluster;

/// <summary>
/// The file-system origin shared by every node of the local cluster: the sample content shipped beside
/// the portal, copied once so that admin writes on one node are seen by all (docs/architecture.md §6, §11).
/// </summary>
internal static class SharedContent
{
    /// <summary>The sample content shipped with the portal.</summary>
    public static string SampleDirectory => Path.Combine(AppContext.BaseDirectory, "SampleContent");

    /// <summary>Copies the sample content to <paramref name="target"/> unless it exists already.</summary>
    /// <returns>Whether the content was copied now.</returns>
    public static bool EnsureCopied(string target)
    {
        if (Directory.Exists(target))
        {
            return false;
        }

        // Copy beside the target, then rename: a half-copied directory is never taken for the content.
        var staging = target + ".tmp-" + Environment.ProcessId;
        CopyDirectory(SampleDirectory, staging);
        try
        {
            Directory.Move(staging, target);
        }
        catch (IOException) when (Directory.Exists(target))
        {
            Directory.Delete(staging, recursive: true);
            return false;
        }

        return true;
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, directory)));
        }

        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(target, Path.GetRelativePath(source, file)));
        }
    }
}
