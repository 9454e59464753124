using System.Globalization;

namespace ClusterPortal.Client.Contract;

/// <summary>
/// The mirror sequence of the wire contract (<see cref="ClusterHeaders.MirrorSequence"/>): a 64-bit number that
/// names one state of the node's mirror of a client's cache (patent Fig. 9), written as 16 hex digits. 0 never
/// names a state. The node vouches for the client's copies (304 on <c>Prefer: cache-mirror</c>) only when the
/// client echoes exactly the mirror's current sequence.
/// </summary>
/// <remarks>
/// The client's side of the protocol is <see cref="Adopts"/>: answers to concurrent requests can arrive out of
/// order, and the node forgets what it recorded after the sequence a request echoes, so a client continues only
/// its own chain of answers. A copy stored from an answer it did not adopt is revalidated with its own validator.
/// </remarks>
public static class MirrorSequence
{
    /// <summary>Formats a sequence for the header: 16 lowercase hex digits, most significant first.</summary>
    /// <param name="sequence">The sequence.</param>
    /// <returns>The header value, always 16 characters.</returns>
    public static string Format(ulong sequence) => sequence.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>Parses a header value: exactly 16 hex digits (either case) naming a sequence other than 0.</summary>
    /// <param name="value">The header value, or null when absent.</param>
    /// <param name="sequence">The sequence, or 0 when the value is not one.</param>
    /// <returns>Whether <paramref name="value"/> names a sequence.</returns>
    public static bool TryParse(ReadOnlySpan<char> value, out ulong sequence) =>
        ItemValidator.TryParseHex(value, out sequence) && sequence != 0;

    /// <summary>
    /// The client-side rule: adopt an answer's sequence only when the client's last adopted sequence still equals
    /// the one its request echoed (always true with one request at a time).
    /// </summary>
    /// <param name="last">The client's last adopted sequence now, or null (none yet, or its cache was cleared).</param>
    /// <param name="echoed">The sequence the request echoed, or null when it echoed none.</param>
    /// <param name="answered">The sequence the answer carried, or null when it carried none.</param>
    /// <returns>Whether the client adopts <paramref name="answered"/>.</returns>
    public static bool Adopts(ulong? last, ulong? echoed, ulong? answered) => answered is not null && last == echoed;
}
