using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ClusterEngine.Backplane;

/// <summary>
/// Per-connection peer authentication on the backplane (docs/identity.md, "Peers"): a node opening
/// a connection presents its id (<see cref="NodeHeader"/>) and a credential (<see cref="AuthHeader"/>) made for this one
/// connection: <c>2.{kind}.{incarnation}.{unix ms}.{nonce}.{mac}</c>, where <c>mac</c> is HMAC-SHA256 under a key derived
/// (HKDF) from <c>Cluster:Key</c> over the kind, the node id, its incarnation, the time, a 128-bit random nonce and the
/// target node's id. The receiver recomputes it for its own id, refuses a time further than <c>Cluster:PeerClockSkew</c>
/// from its clock, and refuses a nonce it has seen (remembered for that window): a captured credential works nowhere
/// else and never twice. Kind <c>p</c> names the target node; kind <c>j</c> (join) names none, because the sender does not
/// know whom a seed or an added node's URL reaches: it is good for <c>Hello</c> only. The cluster key never crosses the wire.
/// </summary>
public sealed class PeerCredentials
{
    /// <summary>Header with the sender's node id.</summary>
    public const string NodeHeader = "X-Cluster-Node";

    /// <summary>Header with the credential.</summary>
    public const string AuthHeader = "X-Cluster-Auth";

    private const int NonceBytes = 16;
    private const int MacBytes = 32;
    private readonly byte[][] _keys;
    private readonly TimeProvider _time;
    private readonly TimeSpan _skew;
    private readonly PeerNonceCache _seen;

    /// <summary>Derives the backplane key from the cluster key.</summary>
    /// <param name="clusterKey"><c>Cluster:Key</c>.</param>
    /// <param name="time">The clock credentials are stamped and checked with; the system clock when null.</param>
    /// <param name="clockSkew"><c>Cluster:PeerClockSkew</c>; 30 s when null.</param>
    /// <exception cref="ArgumentException">The cluster key is empty.</exception>
    public PeerCredentials(string clusterKey, TimeProvider? time = null, TimeSpan? clockSkew = null)
        : this([clusterKey], time, clockSkew)
    {
    }

    /// <summary>
    /// Derives the backplane keys: credentials are made with the first (<c>Cluster:Key</c>) and accepted from any
    /// (<c>Cluster:AcceptedKeys</c> during a change of the cluster key; docs/identity.md).
    /// </summary>
    /// <param name="clusterKeys"><c>Cluster:Key</c>, then the accepted keys.</param>
    /// <param name="time">The clock credentials are stamped and checked with; the system clock when null.</param>
    /// <param name="clockSkew"><c>Cluster:PeerClockSkew</c>; 30 s when null.</param>
    /// <exception cref="ArgumentException">No key, or an empty one.</exception>
    public PeerCredentials(IReadOnlyList<string> clusterKeys, TimeProvider? time = null, TimeSpan? clockSkew = null)
    {
        ArgumentNullException.ThrowIfNull(clusterKeys);
        ArgumentOutOfRangeException.ThrowIfZero(clusterKeys.Count);
        _keys = [.. clusterKeys.Select(k =>
        {
            ArgumentException.ThrowIfNullOrEmpty(k, nameof(clusterKeys));
            return HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(k), 32, info: "ClusterPortal backplane v2"u8.ToArray());
        })];
        _time = time ?? TimeProvider.System;
        _skew = clockSkew ?? TimeSpan.FromSeconds(30);
        _seen = new PeerNonceCache(_time);
    }

    /// <summary>The clock credentials are stamped and checked with (this node's).</summary>
    public TimeProvider Time => _time;

    /// <summary>
    /// A new credential of <paramref name="nodeId"/> (incarnation <paramref name="incarnation"/>) for one connection to
    /// <paramref name="targetNodeId"/>; with a null target, a join credential good for <c>Hello</c> only.
    /// </summary>
    public string Create(string nodeId, long incarnation, string? targetNodeId)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        Span<byte> nonce = stackalloc byte[NonceBytes];
        RandomNumberGenerator.Fill(nonce);
        var kind = targetNodeId is null ? "j" : "p";
        var time = _time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var nonceText = Base64Url.EncodeToString(nonce);
        var body = $"2.{kind}.{incarnation.ToString(CultureInfo.InvariantCulture)}.{time}.{nonceText}";
        return $"{body}.{Mac(_keys[0], kind, nodeId, incarnation, time, nonceText, targetNodeId ?? "")}";
    }

    /// <summary>
    /// Checks a credential presented to <paramref name="selfNodeId"/> by <paramref name="nodeId"/>; a valid one is
    /// remembered, so the same credential is refused the next time.
    /// </summary>
    public PeerCredentialCheck Verify(string? nodeId, string? credential, string selfNodeId)
    {
        if (string.IsNullOrEmpty(nodeId) || nodeId.Length > 64 || string.IsNullOrEmpty(credential) || credential.Length > 200)
        {
            return PeerCredentialCheck.Refused("no node id or credential");
        }

        var parts = credential.Split('.');
        if (parts.Length != 6 || parts[0] != "2" || parts[1] is not ("p" or "j")
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var incarnation)
            || !long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var unixMs))
        {
            return PeerCredentialCheck.Refused("a malformed credential (not this protocol's version 2)");
        }

        var join = parts[1] == "j";
        var given = Encoding.ASCII.GetBytes(parts[5]);
        if (!_keys.Any(key => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Mac(key, parts[1], nodeId, incarnation, parts[3], parts[4], join ? "" : selfNodeId)), given)))
        {
            return PeerCredentialCheck.Refused("a credential that is not for this node from this cluster's key");
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (Math.Abs(now - unixMs) > (long)_skew.TotalMilliseconds)
        {
            return PeerCredentialCheck.Refused($"a credential stamped {(now - unixMs) / 1000.0:0.#} s from this node's clock (Cluster:PeerClockSkew is {_skew.TotalSeconds:0.#} s)");
        }

        if (!_seen.TryAdd($"{nodeId}/{parts[4]}", DateTimeOffset.FromUnixTimeMilliseconds(unixMs) + _skew))
        {
            return PeerCredentialCheck.Refused("a credential that was used before (a replay)");
        }

        return new PeerCredentialCheck(true, null, incarnation, join);
    }

    private static string Mac(byte[] key, string kind, string nodeId, long incarnation, string unixMs, string nonce, string target)
    {
        var input = Encoding.UTF8.GetBytes($"ClusterPortal peer v2\n{kind}\n{nodeId}\n{incarnation.ToString(CultureInfo.InvariantCulture)}\n{unixMs}\n{nonce}\n{target}");
        Span<byte> mac = stackalloc byte[MacBytes];
        HMACSHA256.HashData(key, input, mac);
        return Base64Url.EncodeToString(mac);
    }
}

/// <summary>What <see cref="PeerCredentials.Verify"/> found.</summary>
/// <param name="Valid">True when the credential is good for this connection.</param>
/// <param name="Reason">Why not (for the log), when not valid.</param>
/// <param name="Incarnation">The sender's incarnation the credential was made for.</param>
/// <param name="JoinOnly">True for a join credential: the connection may call <c>Hello</c> only.</param>
public readonly record struct PeerCredentialCheck(bool Valid, string? Reason, long Incarnation, bool JoinOnly)
{
    /// <summary>A refusal for <paramref name="reason"/>.</summary>
    public static PeerCredentialCheck Refused(string reason) => new(false, reason, 0, false);
}
