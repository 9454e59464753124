namespace ClusterPortal.Client.Contract;

/// <summary>
/// The HTTP header names and tokens of the wire contract that are ours (not standard HTTP): what a node adds to an
/// answer, what a client adds to a request for the node's cache mirror (patent Fig. 9), and how nodes mark a
/// forwarded request. Header names are case-insensitive on the wire.
/// </summary>
/// <remarks>
/// Standard headers keep their meaning: <c>ETag</c> carries the CRC-64 validator (<see cref="ItemValidator"/>),
/// <c>If-None-Match</c> the client's validators (<see cref="EntityTag"/>). Transfer extensions, such as RFC 9842
/// dictionary deltas (<c>Available-Dictionary</c>, <c>Content-Encoding: dcz</c>), add their names here beside these.
/// </remarks>
public static class ClusterHeaders
{
    /// <summary>Answer header: the id of the node that decided the answer (after any forwarding), e.g. <c>node-2</c>.</summary>
    public const string ServedBy = "X-Served-By";

    /// <summary>
    /// Request and answer header: the client's mirror sequence as 16 hex digits (<see cref="MirrorSequence"/>). A
    /// client that uses the mirror echoes the last one it adopted; the node answers with the new one.
    /// </summary>
    public const string MirrorSequence = "X-Mirror-Sequence";

    /// <summary>
    /// Answer header on the 503 of a node an operator removed from the cluster (value: its node id). The removed node is
    /// told first and stops serving; the other nodes learn of the removal a moment later (docs/recovery.md, "Removal and
    /// re-add"). A node that forwarded a request and gets this answer does not pass it on: it waits for the removal to
    /// reach its own view and fails the client over in the same request. A client that gets it may try another node at once.
    /// </summary>
    public const string NodeRemoved = "X-Node-Removed";

    /// <summary>Request header set by a node that forwards a client request to the serving node (value: its node id); never forwarded again.</summary>
    public const string Forwarded = "X-Cluster-Forwarded";

    /// <summary>Request header of RFC 7240 preferences; <see cref="CacheMirrorPreference"/> asks the node's mirror to decide.</summary>
    public const string Prefer = "Prefer";

    /// <summary>Answer header of RFC 7240: names the preference the node applied (<see cref="CacheMirrorPreference"/>).</summary>
    public const string PreferenceApplied = "Preference-Applied";

    /// <summary>The <c>Prefer</c> token with which a client lets the node's mirror of its cache decide on a 304.</summary>
    public const string CacheMirrorPreference = "cache-mirror";

    /// <summary>
    /// Request header of RFC 9842 §2.2: the SHA-256 of the dictionary (the version of the item) the client holds, as a
    /// structured-field byte sequence <c>:base64:</c> (<see cref="DictionaryHash"/>).
    /// </summary>
    public const string AvailableDictionary = "Available-Dictionary";

    /// <summary>Answer header of RFC 9842 §2.1 on every item 200: the client may keep the answer as a dictionary for URLs matching <c>match</c>.</summary>
    public const string UseAsDictionary = "Use-As-Dictionary";

    /// <summary>
    /// The content coding of RFC 9842 §4: a 40-byte header (<see cref="DczCodec"/>) then a zstd frame compressed with the
    /// client's version of the item as a raw-content dictionary.
    /// </summary>
    public const string DczEncoding = "dcz";

    /// <summary>The <c>Vary</c> value of an item answer whose request offered <see cref="DczEncoding"/> (RFC 9842 §6.2).</summary>
    public const string DeltaVary = "accept-encoding, available-dictionary";
}
