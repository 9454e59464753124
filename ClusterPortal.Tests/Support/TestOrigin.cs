namespace ClusterPortal.Tests.Support;

/// <summary>
/// A temporary file-system origin root with a few items, and a secret file next to it (outside the root)
/// that no request may ever read.
/// </summary>
public sealed class TestOrigin : IDisposable
{
    public static readonly byte[] SecretBytes = "TOP-SECRET-0f9e8d7c6b5a"u8.ToArray();

    public TestOrigin()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("portal-origin-").FullName;
        Root = Path.Combine(Directory, "root");
        System.IO.Directory.CreateDirectory(Path.Combine(Root, "a", "b"));
        System.IO.Directory.CreateDirectory(Path.Combine(Root, "weather"));
        File.WriteAllText(Path.Combine(Root, "hello.txt"), "hello");
        File.WriteAllText(Path.Combine(Root, "a", "b", "c.txt"), "abc");
        for (var i = 0; i < 10; i++)
        {
            File.WriteAllText(Path.Combine(Root, "weather", $"city-{i}.json"), $$"""{"city":{{i}},"temp":{{i * 3}}}""");
        }

        File.WriteAllBytes(Path.Combine(Directory, "secret.txt"), SecretBytes);
        File.WriteAllBytes(Path.Combine(Root, "..", "root-secret"), SecretBytes);
    }

    /// <summary>Parent of <see cref="Root"/>; holds <c>secret.txt</c>.</summary>
    public string Directory { get; }

    public string Root { get; }

    /// <summary>Settings for <see cref="PortalFactory"/>.</summary>
    public Dictionary<string, string?> Settings(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?> { ["Origin:Root"] = Root, ["Origin:RevalidateInterval"] = "00:00:00.050" };
        foreach (var (k, v) in more ?? [])
        {
            settings[k] = v;
        }

        return settings;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Still watched by a finished host: the OS temp cleaner takes it.
        }
    }
}
