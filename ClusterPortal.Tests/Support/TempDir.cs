namespace ClusterPortal.Tests.Support;

/// <summary>A temporary directory, deleted (with what is in it) on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("portal-temp-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a process that just exited: the OS temp cleaner takes it.
        }
    }
}
