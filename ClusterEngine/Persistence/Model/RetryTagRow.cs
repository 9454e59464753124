namespace ClusterEngine.Persistence.Model;

/// <summary>
/// Row of table <c>RetryTags</c>: one retry tag this node keeps as a claim holder (<see cref="Placement.RetryTagRecord"/>;
/// docs/identity.md, "A lost announce answer"), so that a restarted holder still recognises it. Times in Unix milliseconds.
/// </summary>
public sealed class RetryTagRow
{
    /// <summary>The client's id (primary key).</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The tag: 32 lowercase hex digits.</summary>
    public string Tag { get; set; } = "";

    /// <summary>The granted claim that carried it.</summary>
    public string ClaimId { get; set; } = "";

    /// <summary>When the claim was granted (UTC; stored as Unix milliseconds).</summary>
    public DateTimeOffset GrantedAtUtc { get; set; }

    /// <summary>When the tag's window closes (UTC; stored as Unix milliseconds).</summary>
    public DateTimeOffset UntilUtc { get; set; }

    /// <summary>The registration the tag is bound to, or 0 while unbound.</summary>
    public long Registration { get; set; }
}
