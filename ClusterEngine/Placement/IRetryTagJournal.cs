namespace ClusterEngine.Placement;

/// <summary>
/// One retry tag a claim holder keeps (<see cref="RetryTags"/>; docs/identity.md, "A lost announce answer"), as it is
/// stored so that a restarted holder still recognises it.
/// </summary>
/// <param name="ClientId">The client id the claim was for.</param>
/// <param name="Tag">The device's retry key as a tag (<see cref="AnnounceRetry.Tag"/>: 32 lowercase hex digits).</param>
/// <param name="ClaimId">The granted claim that carried the tag.</param>
/// <param name="GrantedAt">When this holder granted the claim (its own clock).</param>
/// <param name="Until">When the tag's window (<c>Cluster:AnnounceRetryWindow</c>) closes.</param>
/// <param name="Registration">The registration the tag is bound to (<see cref="Assignment.Registration"/>), or 0 while
/// the claim's assignment has not been seen.</param>
public sealed record RetryTagRecord(string ClientId, string Tag, string ClaimId, DateTimeOffset GrantedAt, DateTimeOffset Until, long Registration);

/// <summary>
/// Where <see cref="RetryTags"/> writes each change of its tags so that they survive a restart of the holder: before, a
/// restarted holder (above all a node alone, its own holder) had forgotten every tag, and a device whose 201 was lost in
/// the crash could not recover it with its retry key. The node's persistence implements it with its batched writer;
/// calls are made under the tags' lock, in the order of the changes, and must not block.
/// </summary>
public interface IRetryTagJournal
{
    /// <summary>A tag was kept or bound to its registration: store <paramref name="tag"/>, replacing the id's previous one.</summary>
    void Kept(RetryTagRecord tag);

    /// <summary>The tag of <paramref name="clientId"/> was dropped (released claim, removal, another registration, window over).</summary>
    void Forgotten(string clientId);
}
