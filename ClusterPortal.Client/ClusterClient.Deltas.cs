using ClusterPortal.Client.Contract;

namespace ClusterPortal.Client;

/// <summary>RFC 9842 deltas on the client side: offering the cached copy as a dictionary and decoding <c>dcz</c> answers.</summary>
public sealed partial class ClusterClient
{
    /// <summary>The largest item a delta may decode to (the node's <c>Origin:MaxItemBytes</c> is 16 MiB by default).</summary>
    private const int MaxDecodedBytes = 64 * 1024 * 1024;

    /// <summary>
    /// Accepts <c>dcz</c> for a copy the client holds. On the standard path it names the copy in
    /// <c>Available-Dictionary</c>; a request the mirror decides (<c>Prefer: cache-mirror</c>) names nothing: the node
    /// encodes against the version the mirror records, and the answer's <c>dcz</c> header says which.
    /// </summary>
    private static void OfferDictionary(HttpRequestMessage request, CachedItem cached, bool byMirror)
    {
        request.Headers.TryAddWithoutValidation("Accept-Encoding", ClusterHeaders.DczEncoding);
        if (!byMirror)
        {
            request.Headers.TryAddWithoutValidation(ClusterHeaders.AvailableDictionary, cached.Hash.ToHeader());
        }
    }

    private static bool IsDelta(HttpResponseMessage response) =>
        response.Content.Headers.ContentEncoding.Any(coding => string.Equals(coding, ClusterHeaders.DczEncoding, StringComparison.OrdinalIgnoreCase));

    /// <summary>The item a <c>dcz</c> body decodes to with the cached copy, or null when it names another dictionary or does not decode.</summary>
    private static byte[]? Decode(byte[] body, CachedItem? cached)
    {
        if (cached is null || !DczCodec.TryReadHeader(body, out var named) || named != cached.Hash)
        {
            return null;
        }

        try
        {
            return DczCodec.Decode(body, cached.Content.Span, MaxDecodedBytes);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}
