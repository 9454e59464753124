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

    private readonly Lock _gate = new();
    private readonly string _name;
    private readonly string _holder;
    private FileStream _stream;
    private string? _opened; // the lock file's path as the OS names the open file (symbolic links resolved), when known
    private readonly List<FileStream> _earlier = []; // lock files since moved away or deleted: a moved directory stays locked too

    private DataDirectoryLock(FileStream stream, string directory, string name, string holder)
    {
        _stream = stream;
        _opened = OpenedPath(stream);
        Directory = directory;
        _name = name;
        _holder = holder;
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

        WriteHolder(path, holder);
        return new DataDirectoryLock(stream, full, name, holder);
    }

    /// <summary>
    /// Checks that the lock file this process holds is still the one at its path. When it is not — the directory or the
    /// file was deleted or moved while the node ran, and a second process could now take the directory — takes a new
    /// lock file at the path (creating the directory), so that no second process can start on it. Linux only (the open
    /// file's path from <c>/proc/self/fd</c>, compared with what it was when taken); elsewhere it reports
    /// <see cref="DataDirectoryLockState.Held"/>.
    /// Called by <see cref="NodeLockWatch"/>.
    /// </summary>
    /// <param name="holder">Who holds the new lock file when the state is <see cref="DataDirectoryLockState.Taken"/>.</param>
    public DataDirectoryLockState Check(out string? holder)
    {
        holder = null;
        var path = Path.Combine(Directory, _name);
        lock (_gate)
        {
            if (_opened is null || OpenedPath(_stream) is not { } now || now == _opened)
            {
                return DataDirectoryLockState.Held;
            }

            // One of this process's own lock files at the path again (the directory restored, or a link to where it went):
            // opening it anew would conflict with this process's own lock and read as "another process".
            _earlier.RemoveAll(earlier => Deleted(earlier)); // a deleted file guards nothing: its descriptor goes
            if (RealPath(path) is { } real)
            {
                foreach (var own in _earlier.Prepend(_stream).ToList())
                {
                    if (OpenedPath(own) == real)
                    {
                        _earlier.Remove(own);
                        if (own != _stream)
                        {
                            _earlier.Add(_stream);
                        }

                        (_stream, _opened) = (own, real);
                        return DataDirectoryLockState.Restored;
                    }
                }
            }

            FileStream fresh;
            try
            {
                System.IO.Directory.CreateDirectory(Directory);
                fresh = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (File.Exists(path))
            {
                holder = ReadHolder(path);
                return DataDirectoryLockState.Taken;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                holder = ex.Message;
                return DataDirectoryLockState.Unwritable;
            }

            if (!Deleted(_stream))
            {
                _earlier.Add(_stream); // moved away: the moved directory stays locked too
            }
            else
            {
                _stream.Dispose();
            }

            (_stream, _opened) = (fresh, OpenedPath(fresh));
            try
            {
                WriteHolder(path, _holder);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A full disk: the lock holds without the line naming its holder (a refused process then says "another process").
            }

            return DataDirectoryLockState.Retaken;
        }
    }

    /// <summary>Releases the lock (also released by the OS when the process ends).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stream.Dispose();
            _earlier.ForEach(earlier => earlier.Dispose());
        }
    }

    /// <summary>
    /// The path of <paramref name="stream"/>'s file as the OS names it now (<c>/proc/self/fd</c>: links resolved; another path
    /// once moved; <c>… (deleted)</c> once deleted), or null where that cannot be read (not Linux).
    /// </summary>
    private static string? OpenedPath(FileStream stream)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            var fd = stream.SafeFileHandle.DangerousGetHandle().ToInt64();
            return new FileInfo($"/proc/self/fd/{fd.ToString(CultureInfo.InvariantCulture)}").LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool Deleted(FileStream stream) => OpenedPath(stream)?.EndsWith(" (deleted)", StringComparison.Ordinal) == true;

    /// <summary>
    /// <paramref name="path"/> with every symbolic link in it resolved, as the OS's <c>realpath</c> gives it (what
    /// <c>/proc/self/fd</c> shows for a file opened through it); null when a part cannot be read or links loop.
    /// </summary>
    internal static string? RealPath(string path)
    {
        try
        {
            var pending = new Queue<string>(Path.GetFullPath(path).Split('/', StringSplitOptions.RemoveEmptyEntries));
            var current = "/";
            for (var links = 0; pending.Count > 0;)
            {
                var next = Path.Combine(current, pending.Dequeue());
                if (new FileInfo(next).LinkTarget is { } target)
                {
                    if (++links > 40)
                    {
                        return null;
                    }

                    var rest = pending.ToArray();
                    pending = new Queue<string>(Path.GetFullPath(target, current).Split('/', StringSplitOptions.RemoveEmptyEntries).Concat(rest));
                    current = "/";
                    continue;
                }

                current = next;
            }

            return current;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private static void WriteHolder(string path, string holder) =>
        File.WriteAllText(path + ".holder", string.Create(CultureInfo.InvariantCulture, $"pid {Environment.ProcessId}, {holder}, since {DateTimeOffset.Now:yyyy-MM-dd HH:mm:ss zzz}"));

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

/// <summary>What <see cref="DataDirectoryLock.Check"/> found.</summary>
internal enum DataDirectoryLockState
{
    /// <summary>The lock file is in place.</summary>
    Held,

    /// <summary>The lock file was gone from its path; a new one is held there now.</summary>
    Retaken,

    /// <summary>The lock file this process took is at the path again (the directory restored, or linked to where it went).</summary>
    Restored,

    /// <summary>The lock file was gone, and another process holds the one at its path now: a second process on this directory.</summary>
    Taken,

    /// <summary>The lock file was gone and no new one could be made (the directory cannot be created or written).</summary>
    Unwritable,
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
