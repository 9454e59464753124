using System.Security.Cryptography;

namespace ClusterPortal.Client.Contract;

/// <summary>
/// The announce retry key of the wire contract (<see cref="SessionRequest.RetryKey"/>): a device's random secret for one
/// registration of its client id, 16–128 characters of <c>A-Za-z0-9-_</c>. A device that announces a new id with a key
/// and loses the answer (the node registered it, the 201 never arrived) repeats the announce with the same key and no
/// token, and gets its token: 201, for <c>Cluster:AnnounceRetryWindow</c> after the registration. Without a key that
/// retry is a 401 (the id exists and no token was shown). The node answers another key with 400 naming <c>retryKey</c>.
/// </summary>
public static class RetryKeys
{
    /// <summary>Shortest key, in characters.</summary>
    public const int MinLength = 16;

    /// <summary>Longest key, in characters.</summary>
    public const int MaxLength = 128;

    /// <summary>A new key: 32 random bytes, base64url (43 characters).</summary>
    public static string New() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Why <paramref name="retryKey"/> is not a valid key, or null when it is valid or absent (null).</summary>
    public static string? Problem(string? retryKey)
    {
        if (retryKey is null)
        {
            return null;
        }

        if (retryKey.Length is < MinLength or > MaxLength)
        {
            return $"retryKey must be {MinLength} to {MaxLength} characters.";
        }

        foreach (var c in retryKey)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_'))
            {
                return "retryKey may contain only A-Z, a-z, 0-9, '-' and '_'.";
            }
        }

        return null;
    }
}
