using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;

namespace ClusterPortal.LocalCluster;

/// <summary>
/// The local cluster's <c>Cluster:Key</c> and <c>Portal:AdminKey</c>: generated once (32 random bytes,
/// base64url), kept in <c>keys.json</c> (mode 0600 on Unix) and reused on later starts.
/// </summary>
/// <param name="ClusterKey">Shared secret of the backplane and client tokens.</param>
/// <param name="AdminKey">The admin key of every node.</param>
internal sealed record LocalClusterKeys(string ClusterKey, string AdminKey)
{
    /// <summary>The keys file's name in the launcher's data directory.</summary>
    public const string FileName = "keys.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Reads the keys from <paramref name="path"/>, or generates and writes them when the file does not exist.</summary>
    /// <returns>The keys and whether they were created now.</returns>
    /// <exception cref="InvalidDataException">The file exists but does not hold both keys.</exception>
    public static (LocalClusterKeys Keys, bool Created) LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            return (Read(path), false);
        }

        var keys = new LocalClusterKeys(NewKey(), NewKey());
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using var stream = new FileStream(path, options);
            JsonSerializer.Serialize(stream, keys, Json);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another launcher created it first: use its keys.
            return (Read(path), false);
        }

        return (keys, true);
    }

    /// <summary>The keys in <paramref name="path"/>, or null when it cannot be read or does not hold both.</summary>
    public static LocalClusterKeys? TryRead(string path)
    {
        try
        {
            return Read(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidDataException)
        {
            return null;
        }
    }

    private static LocalClusterKeys Read(string path)
    {
        var keys = JsonSerializer.Deserialize<LocalClusterKeys>(File.ReadAllText(path), Json);
        return keys is { ClusterKey.Length: >= 16, AdminKey.Length: >= 16 }
            ? keys
            : throw new InvalidDataException($"{path} must hold clusterKey and adminKey (at least 16 characters each); delete it to generate new keys.");
    }

    private static string NewKey() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}
