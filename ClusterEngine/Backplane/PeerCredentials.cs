using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace ClusterEngine.Backplane;

/// <summary>
/// Peer authentication on the backplane (DESIGN.md §7): a node presents its id and an HMAC-SHA256 of
/// it under a key derived (HKDF) from <c>Cluster:Key</c>; the receiving hub recomputes it and
/// compares in constant time. The cluster key itself never crosses the wire.
/// </summary>
public sealed class PeerCredentials
{
    /// <summary>Header with the sender's node id.</summary>
    public const string NodeHeader = "X-Cluster-Node";

    /// <summary>Header with the credential.</summary>
    public const string AuthHeader = "X-Cluster-Auth";

    private readonly byte[] _key;

    /// <summary>Derives the backplane key from the cluster key.</summary>
    /// <exception cref="ArgumentException">The cluster key is empty.</exception>
    public PeerCredentials(string clusterKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(clusterKey);
        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(clusterKey), 32, info: "ClusterPortal backplane v1"u8.ToArray());
    }

    /// <summary>The credential of <paramref name="nodeId"/> (base64url, 43 characters).</summary>
    public string For(string nodeId) => Base64Url.EncodeToString(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(nodeId)));

    /// <summary>True when <paramref name="credential"/> is the credential of <paramref name="nodeId"/>.</summary>
    public bool Verify(string? nodeId, string? credential) =>
        !string.IsNullOrEmpty(nodeId) && credential is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(For(nodeId)), Encoding.ASCII.GetBytes(credential));
}
