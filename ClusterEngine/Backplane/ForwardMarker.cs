using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace ClusterEngine.Backplane;

/// <summary>
/// The forwarded marker (<c>X-Cluster-Forwarded</c>; docs/identity.md, "The forwarded marker") as one peer hop writes it and the
/// next node checks it: <c>{from node id}.{unix ms}.{mac}</c>, where <c>mac</c> is HMAC-SHA256 (first 128 bits, base64url)
/// under a key derived (HKDF) from <c>Cluster:Key</c> over the forwarding node, the node it forwards to, the time, the
/// request's method, its request target (exactly as sent) and the client id. A marker a client set — or one copied onto
/// another request, sent to another node, or older than <c>Cluster:PeerClockSkew</c> — does not verify, and the request is
/// routed like any client request. One HMAC per forward on each side, no allocation beyond the header's string.
/// </summary>
public sealed class ForwardMarker : IDisposable
{
    private const int MacBytes = 16;
    private const int MacChars = 22; // base64url of 16 bytes, unpadded
    private const int StackLimit = 1024;
    private readonly HmacSha256Key[] _keys;
    private readonly TimeProvider _time;
    private readonly long _skewMs;

    /// <summary>Derives the marker key from the cluster key.</summary>
    /// <param name="clusterKey"><c>Cluster:Key</c>.</param>
    /// <param name="time">The clock markers are stamped and checked with.</param>
    /// <param name="clockSkew"><c>Cluster:PeerClockSkew</c>: how old (or how far ahead) a marker may be.</param>
    /// <exception cref="ArgumentException">The cluster key is empty.</exception>
    public ForwardMarker(string clusterKey, TimeProvider time, TimeSpan clockSkew)
        : this([clusterKey], time, clockSkew)
    {
    }

    /// <summary>
    /// Derives the marker keys: markers are made with the first (<c>Cluster:Key</c>) and accepted from any
    /// (<c>Cluster:AcceptedKeys</c> during a change of the cluster key; docs/identity.md). A marker of the first key costs
    /// one MAC, as with one key.
    /// </summary>
    /// <param name="clusterKeys"><c>Cluster:Key</c>, then the accepted keys.</param>
    /// <param name="time">The clock markers are stamped and checked with.</param>
    /// <param name="clockSkew"><c>Cluster:PeerClockSkew</c>: how old (or how far ahead) a marker may be.</param>
    /// <exception cref="ArgumentException">No key, or an empty one.</exception>
    public ForwardMarker(IReadOnlyList<string> clusterKeys, TimeProvider time, TimeSpan clockSkew)
    {
        ArgumentNullException.ThrowIfNull(clusterKeys);
        ArgumentOutOfRangeException.ThrowIfZero(clusterKeys.Count);
        ArgumentNullException.ThrowIfNull(time);
        _keys = [.. clusterKeys.Select(k =>
        {
            ArgumentException.ThrowIfNullOrEmpty(k, nameof(clusterKeys));
            return new HmacSha256Key(HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(k), 32, info: "ClusterPortal forward v1"u8.ToArray()));
        })];
        _time = time;
        _skewMs = (long)clockSkew.TotalMilliseconds;
    }

    /// <summary>The marker of one forward from <paramref name="fromNodeId"/> to <paramref name="toNodeId"/>.</summary>
    public string Create(string fromNodeId, string toNodeId, string method, string target, string clientId)
    {
        var unixMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        Span<byte> mac = stackalloc byte[MacBytes];
        Compute(_keys[0], fromNodeId, toNodeId, unixMs, method, target, clientId, mac);
        Span<char> macChars = stackalloc char[MacChars];
        Base64Url.EncodeToChars(mac, macChars);
        return $"{fromNodeId}.{unixMs}.{(ReadOnlySpan<char>)macChars}";
    }

    /// <summary>True when <paramref name="marker"/> was written by a holder of the cluster key for exactly this request to <paramref name="selfNodeId"/>, within the clock window.</summary>
    /// <param name="marker">The header's value (null or anything a client sent is fine: false).</param>
    /// <param name="selfNodeId">This node: the forward's target.</param>
    /// <param name="method">The request's method.</param>
    /// <param name="target">The request target as received (path and query, as the client sent them).</param>
    /// <param name="clientId">The client the request is for.</param>
    /// <param name="fromNodeId">The forwarding node, when true.</param>
    public bool Verify(string? marker, string selfNodeId, string method, string target, string clientId, out string fromNodeId)
    {
        fromNodeId = "";
        if (string.IsNullOrEmpty(marker) || marker.Length > 200)
        {
            return false;
        }

        var macDot = marker.LastIndexOf('.');
        var timeDot = macDot > 0 ? marker.LastIndexOf('.', macDot - 1) : -1;
        if (timeDot <= 0 || marker.Length - macDot - 1 != MacChars
            || !long.TryParse(marker.AsSpan(timeDot + 1, macDot - timeDot - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var unixMs)
            || Math.Abs(_time.GetUtcNow().ToUnixTimeMilliseconds() - unixMs) > _skewMs)
        {
            return false;
        }

        Span<byte> given = stackalloc byte[MacBytes + 2];
        if (Base64Url.DecodeFromChars(marker.AsSpan(macDot + 1), given, out _, out var written) != OperationStatus.Done || written != MacBytes)
        {
            return false;
        }

        var from = marker[..timeDot];
        Span<byte> expected = stackalloc byte[MacBytes];
        var matched = false;
        foreach (var key in _keys)
        {
            Compute(key, from, selfNodeId, unixMs, method, target, clientId, expected);
            if (CryptographicOperations.FixedTimeEquals(expected, given[..MacBytes]))
            {
                matched = true;
                break;
            }
        }

        if (!matched)
        {
            return false;
        }

        fromNodeId = from;
        return true;
    }

    private static void Compute(HmacSha256Key key, string from, string to, long unixMs, string method, string target, string clientId, Span<byte> mac)
    {
        var chars = 16 + from.Length + to.Length + 20 + method.Length + target.Length + clientId.Length;
        var max = Encoding.UTF8.GetMaxByteCount(chars);
        byte[]? rented = null;
        Span<byte> buffer = max <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var n = 0;
            n += Encoding.UTF8.GetBytes("fwd1\n", buffer[n..]);
            n += Encoding.UTF8.GetBytes(from, buffer[n..]);
            buffer[n++] = (byte)'\n';
            n += Encoding.UTF8.GetBytes(to, buffer[n..]);
            buffer[n++] = (byte)'\n';
            unixMs.TryFormat(buffer[n..], out var digits, default, System.Globalization.CultureInfo.InvariantCulture);
            n += digits;
            buffer[n++] = (byte)'\n';
            n += Encoding.UTF8.GetBytes(method, buffer[n..]);
            buffer[n++] = (byte)'\n';
            n += Encoding.UTF8.GetBytes(target, buffer[n..]);
            buffer[n++] = (byte)'\n';
            n += Encoding.UTF8.GetBytes(clientId, buffer[n..]);
            Span<byte> full = stackalloc byte[HmacSha256Key.MacBytes];
            key.Compute(buffer[..n], full);
            full[..MacBytes].CopyTo(mac);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Releases the MAC key's per-thread contexts.</summary>
    public void Dispose()
    {
        foreach (var key in _keys)
        {
            key.Dispose();
        }
    }
}
