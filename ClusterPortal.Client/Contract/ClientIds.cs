namespace ClusterPortal.Client.Contract;

/// <summary>
/// The client id rule of the wire contract: 1–128 characters of <c>A-Za-z0-9._:-</c> with at least one letter or
/// digit. The node answers a session request with another id with 400 naming <c>clientId</c>.
/// </summary>
public static class ClientIds
{
    /// <summary>Longest client id, in characters.</summary>
    public const int MaxLength = 128;

    /// <summary>Why <paramref name="clientId"/> is not a valid client id, or null when it is.</summary>
    public static string? Problem(string? clientId)
    {
        if (string.IsNullOrEmpty(clientId))
        {
            return "clientId is required.";
        }

        if (clientId.Length > MaxLength)
        {
            return $"clientId must be at most {MaxLength} characters.";
        }

        var alphanumeric = false;
        foreach (var c in clientId)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                alphanumeric = true;
            }
            else if (c is not ('.' or '_' or ':' or '-'))
            {
                return "clientId may contain only A-Z, a-z, 0-9, '.', '_', ':' and '-'.";
            }
        }

        return alphanumeric ? null : "clientId must contain at least one letter or digit.";
    }
}
