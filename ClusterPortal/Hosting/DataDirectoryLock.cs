using System.Globalization;

namespace ClusterPortal.Hosting;

/// <summary>
/// One process per data directory: an exclusive lock on <c>{directory}/{name}</c> held for the process lifetime
/// (a <see cref="FileStream"/> opened with <see cref="FileShare.None"/>, an OS file lock that ends with the
/// process, even on <c>kill -9</c>), and a line naming the holder (pid, what it is, since when) in
/// <c>{name}.holder</c> beside it, for the message of the process that is refused. The holder file is separate
/// because a locked file cannot be opened by another process, not even to read it.
/// </summary>
internal sealed class DataDirectoryLock : IDisposable
{
    /// <summary>The lock file of a node's <c>Cluster:DataDirectory</c>.</summary>
    public const string NodeLockName = "node.lock";

    private readonly FileStream _stream;

    private DataDirectoryLock(FileStream stream, string directory)
    {
        _stream = stream;
        Directory = directory;
    }

    /// <summary>The locked directory (absolute).</summary>
    public string Directory { get; }

    /// <summary>Takes the lock, creating the directory when needed.</summary>
    /// <param name="directory">The data directory.</param>
    /// <param name="name">The lock file's name in it.</param>
    /// <param name="holder">What holds it, for the refusal message of a second process (e.g. <c>node-1 on http://127.0.0.1:5101</c>); nothing secret.</param>
    /// <exception cref="DataDirectoryInUseException">Another process holds the lock.</exception>
    public static DataDirectoryLock Acquire(string directory, string name, string holder)
    {
        var full = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(full);
        var path = Path.Combine(full, name);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (File.Exists(path))
        {
            throw new DataDirectoryInUseException(full, ReadHolder(path), ex);
        }

        var line = string.Create(CultureInfo.InvariantCulture, $"pid {Environment.ProcessId}, {holder}, since {DateTimeOffset.Now:yyyy-MM-dd HH:mm:ss zzz}");
        File.WriteAllText(path + ".holder", line);
        return new DataDirectoryLock(stream, full);
    }

    /// <summary>Releases the lock (also released by the OS when the process ends).</summary>
    public void Dispose()
    {
        _stream.Dispose();
    }

    private static string ReadHolder(string path)
    {
        try
        {
            return File.ReadAllText(path + ".holder").Trim();
        }
        catch (IOException)
        {
            return "another process";
        }
    }
}

/// <summary>The data directory is locked by another process (<see cref="DataDirectoryLock"/>).</summary>
internal sealed class DataDirectoryInUseException(string directory, string holder, Exception inner)
    : IOException($"{directory} is in use by {holder}: one process per data directory.", inner)
{
    /// <summary>The locked directory.</summary>
    public string Directory { get; } = directory;

    /// <summary>Who holds it (pid, what, since when).</summary>
    public string Holder { get; } = holder;
}
