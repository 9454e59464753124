using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace ClusterEngine;

/// <summary>Validates <see cref="ClusterOptions"/>; every failure message starts with the configuration key.</summary>
public sealed partial class ClusterOptionsValidator : IValidateOptions<ClusterOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        void Check(bool ok, string key, string rule, object? value)
        {
            if (!ok)
            {
                errors.Add($"Cluster:{key} {rule} (was '{value}').");
            }
        }

        Check(options.NodeId is null || NodeIdPattern().IsMatch(options.NodeId), "NodeId", "must be 1-64 characters of A-Za-z0-9._-", options.NodeId);
        Check(options.AdvertisedUrl is null || IsNodeUrl(options.AdvertisedUrl), "AdvertisedUrl", NodeUrlRule, options.AdvertisedUrl);
        Check(string.IsNullOrEmpty(options.Zone) || ZonePattern().IsMatch(options.Zone), "Zone", "must be empty or 1-63 characters of A-Za-z0-9._-", options.Zone);
        Check(NodeCapacity.IsValid(options.Capacity), "Capacity", $"must be between 1 and {NodeCapacity.Max}", options.Capacity);
        Check(options.AdmissionThreshold is > 0 and <= 1, "AdmissionThreshold", "must be a fraction greater than 0 and at most 1", options.AdmissionThreshold);
        Check(options.MaxBounces is >= 0 and <= 64, "MaxBounces", "must be between 0 and 64", options.MaxBounces);
        Check(options.BusyThreshold is > 0 and <= 1, "BusyThreshold", "must be a fraction greater than 0 and at most 1", options.BusyThreshold);
        Check(options.MaxConcurrentRequests > 0, "MaxConcurrentRequests", "must be greater than 0", options.MaxConcurrentRequests);
        Check(options.HeartbeatInterval > TimeSpan.Zero, "HeartbeatInterval", "must be positive", options.HeartbeatInterval);
        Check(options.SelfSilenceBudget > TimeSpan.Zero, "FailureTimeout", "must be longer than Cluster:HeartbeatInterval plus two Cluster:TickInterval",
            options.FailureTimeout);
        Check(options.FailureRttFactor is >= 0 and <= 100, "FailureRttFactor", "must be between 0 and 100", options.FailureRttFactor);
        // Only used with a round-trip factor: a long FailureTimeout alone (a test, a very slow network) needs no matching max.
        Check(options.FailureRttFactor == 0 || options.FailureTimeoutMax >= options.FailureTimeout, "FailureTimeoutMax",
            "must be at least Cluster:FailureTimeout when Cluster:FailureRttFactor is set", options.FailureTimeoutMax);
        Check(options.ClientIdleTimeout > TimeSpan.Zero, "ClientIdleTimeout", "must be positive", options.ClientIdleTimeout);
        Check(options.TickInterval > TimeSpan.Zero && options.TickInterval <= options.HeartbeatInterval, "TickInterval",
            "must be positive and at most Cluster:HeartbeatInterval", options.TickInterval);
        Check(options.ProbeTimeout > TimeSpan.Zero && options.ProbeTimeout < options.FailureTimeout, "ProbeTimeout",
            "must be positive and less than Cluster:FailureTimeout", options.ProbeTimeout);
        Check(options.OfferTimeout > TimeSpan.Zero, "OfferTimeout", "must be positive", options.OfferTimeout);
        Check(options.HelloTimeout > TimeSpan.Zero, "HelloTimeout", "must be positive", options.HelloTimeout);
        Check(options.RemovalAckTimeout > TimeSpan.Zero && options.RemovalAckTimeout <= TimeSpan.FromMinutes(1), "RemovalAckTimeout",
            "must be positive and at most 00:01:00", options.RemovalAckTimeout);
        Check(options.HandOverTimeout > TimeSpan.Zero, "HandOverTimeout", "must be positive", options.HandOverTimeout);
        Check(options.DrainTimeout > TimeSpan.Zero, "DrainTimeout", "must be positive", options.DrainTimeout);
        Check(options.LeaveGrace >= TimeSpan.Zero && options.LeaveGrace <= TimeSpan.FromMinutes(1), "LeaveGrace", "must be between 0 and 00:01:00", options.LeaveGrace);
        Check(options.RestartGrace >= TimeSpan.Zero && options.RestartGrace <= TimeSpan.FromMinutes(10), "RestartGrace",
            "must be between 0 and 00:10:00", options.RestartGrace);
        Check(options.AntiEntropyDelay >= options.HeartbeatInterval && options.AntiEntropyDelay <= TimeSpan.FromMinutes(10), "AntiEntropyDelay",
            "must be at least Cluster:HeartbeatInterval and at most 00:10:00", options.AntiEntropyDelay);
        Check(options.ForwardConnectTimeout > TimeSpan.Zero, "ForwardConnectTimeout", "must be positive", options.ForwardConnectTimeout);
        Check(options.ForwardActivityTimeout > options.ForwardConnectTimeout, "ForwardActivityTimeout",
            "must be longer than Cluster:ForwardConnectTimeout", options.ForwardActivityTimeout);
        Check(options.ForwardPeerWatchInterval > TimeSpan.Zero, "ForwardPeerWatchInterval", "must be positive", options.ForwardPeerWatchInterval);
        Check(options.UnknownClientWait >= TimeSpan.Zero && options.UnknownClientWait <= TimeSpan.FromMinutes(1), "UnknownClientWait",
            "must be between 0 and 00:01:00", options.UnknownClientWait);
        Check(options.PeerKeepAliveInterval > TimeSpan.Zero, "PeerKeepAliveInterval", "must be positive", options.PeerKeepAliveInterval);
        Check(options.PeerServerTimeout >= options.PeerKeepAliveInterval * 2, "PeerServerTimeout",
            "must be at least twice Cluster:PeerKeepAliveInterval", options.PeerServerTimeout);
        Check(options.PeerRetryBaseDelay > TimeSpan.Zero, "PeerRetryBaseDelay", "must be positive", options.PeerRetryBaseDelay);
        Check(options.PeerRetryMaxDelay >= options.PeerRetryBaseDelay, "PeerRetryMaxDelay",
            "must be at least Cluster:PeerRetryBaseDelay", options.PeerRetryMaxDelay);
        Check(options.PeerClockSkew >= TimeSpan.FromSeconds(1) && options.PeerClockSkew <= TimeSpan.FromHours(1), "PeerClockSkew",
            "must be between 00:00:01 and 01:00:00", options.PeerClockSkew);
        Check(options.AnnounceRetryWindow >= TimeSpan.Zero && options.AnnounceRetryWindow <= TimeSpan.FromHours(1), "AnnounceRetryWindow",
            "must be between 0 and 01:00:00", options.AnnounceRetryWindow);
        Check(options.ClientClaimTimeout >= options.OfferTimeout * 2 && options.ClientClaimTimeout <= TimeSpan.FromMinutes(5), "ClientClaimTimeout",
            "must be at least twice Cluster:OfferTimeout and at most 00:05:00", options.ClientClaimTimeout);
        Check(options.Key is null || options.Key.Length >= 16, "Key", "must be at least 16 characters", "***");
        Check(options.AcceptedKeys.Count <= ClusterOptions.MaxAcceptedKeys, "AcceptedKeys",
            $"must list at most {ClusterOptions.MaxAcceptedKeys} keys", options.AcceptedKeys.Count);
        for (var i = 0; i < options.AcceptedKeys.Count; i++)
        {
            Check(options.AcceptedKeys[i] is { Length: >= 16 }, $"AcceptedKeys:{i}", "must be at least 16 characters", "***");
        }
        for (var i = 0; i < options.Seeds.Count; i++)
        {
            Check(IsNodeUrl(options.Seeds[i]), $"Seeds:{i}", NodeUrlRule, options.Seeds[i]);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>
    /// True when <paramref name="value"/> is a node's root URL: absolute http or https, with a host, and no user name or
    /// password, path (other than <c>/</c>), query or fragment. A node is reached at its root (its hub, API and health
    /// paths are appended), and its URL is shown to every viewer and compared between members: a credential in it would
    /// leak, and a URL the node does not advertise itself makes the real node refuse to run (its id "belongs" to the
    /// other URL).
    /// </summary>
    public static bool IsNodeUrl([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? value) =>
        value is not null && Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && uri.Host.Length > 0 && uri.UserInfo.Length == 0 && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0;

    /// <summary>What <see cref="IsNodeUrl"/> asks, in the words of a configuration or API error.</summary>
    public const string NodeUrlRule = "must be an absolute http or https URL of a node's root, without user name, password, path, query or fragment";

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    internal static partial Regex NodeIdPattern();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,63}$")]
    private static partial Regex ZonePattern();
}
