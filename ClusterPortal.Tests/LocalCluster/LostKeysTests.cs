using ClusterPortal.LocalCluster;

namespace ClusterPortal.Tests.LocalCluster;

/// <summary>
/// The launcher does not make new keys while node stores exist without the keys file that wrote them (found by a new user:
/// new keys had every node refuse its store, and the old key was lost for good).
/// </summary>
public sealed class LostKeysTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("portal-lostkeys-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Stores_without_their_keys_file_stop_the_launcher_and_say_what_to_do()
    {
        Assert.Null(LocalClusterLauncher.LostKeys([], _root)); // a first start: nothing to lose
        Directory.CreateDirectory(Path.Combine(_root, "node-2"));
        File.WriteAllText(Path.Combine(_root, "node-2", "node.db"), "");
        Directory.CreateDirectory(Path.Combine(_root, "node-1")); // a directory without a store does not count

        var said = LocalClusterLauncher.LostKeys([], _root);

        Assert.NotNull(said);
        Assert.Contains("holds the stores of node-2 but not keys.json", said, StringComparison.Ordinal);
        Assert.Contains("Put keys.json back (or pass its key with --Cluster:Key), or delete", said, StringComparison.Ordinal);
        Assert.Null(LocalClusterLauncher.LostKeys(["--Cluster:Key=the-old-key-0123456789abcdef"], _root)); // the operator gave the key
        File.WriteAllText(Path.Combine(_root, LocalClusterKeys.FileName), "{}");
        Assert.Null(LocalClusterLauncher.LostKeys([], _root)); // the file is there (whether it holds keys is checked when it is read)
    }
}
