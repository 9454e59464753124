namespace ClusterPortal.Client.Contract;

/// <summary>
/// An error answer of the node (RFC 9457 problem details, <see cref="MediaType"/>), as far as a client reads it:
/// <c>{"type":"…","title":"Invalid clientId","status":400,"errors":{"clientId":["…"]}}</c>. Other members
/// (<c>traceId</c>) are ignored.
/// </summary>
/// <param name="Type">A URI naming the problem type, or null.</param>
/// <param name="Title">A short summary, e.g. <c>Invalid clientId</c>.</param>
/// <param name="Status">The HTTP status code.</param>
/// <param name="Detail">What went wrong for this request, or null.</param>
/// <param name="Instance">A URI naming this occurrence, or null.</param>
/// <param name="Errors">For a 400: field name → messages (the field named as in the request), or null.</param>
public sealed record ApiProblem(string? Type, string? Title, int? Status, string? Detail, string? Instance,
    IReadOnlyDictionary<string, string[]>? Errors)
{
    /// <summary>The media type of a problem answer.</summary>
    public const string MediaType = "application/problem+json";

    /// <summary>One line for messages: the title, the detail and each field's messages.</summary>
    /// <returns>E.g. <c>Invalid clientId: clientId: clientId is required.</c></returns>
    public override string ToString()
    {
        var parts = new List<string>();
        if (!string.IsNullOrWhiteSpace(Title))
        {
            parts.Add(Title);
        }

        if (!string.IsNullOrWhiteSpace(Detail))
        {
            parts.Add(Detail);
        }

        parts.AddRange((Errors ?? new Dictionary<string, string[]>()).Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"));
        return string.Join(": ", parts);
    }
}
