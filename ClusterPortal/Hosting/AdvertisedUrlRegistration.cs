using ClusterEngine;
using ClusterEngine.Membership;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Hosting;

/// <summary>
/// Once Kestrel listens, records this node's URL in the view: <c>Cluster:AdvertisedUrl</c>, else the
/// first listening address (docs/architecture.md §12). A wildcard address cannot be advertised: the node stops
/// with a message naming the key.
/// </summary>
internal sealed partial class AdvertisedUrlRegistration(
    IServer server, IHostApplicationLifetime lifetime, IOptions<ClusterOptions> options, ClusterState state, LocalNodeAddress address,
    ILogger<AdvertisedUrlRegistration> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(Register);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The URL to advertise, from the option or the listening addresses.</summary>
    /// <exception cref="InvalidOperationException">Only wildcard addresses and no <c>Cluster:AdvertisedUrl</c>.</exception>
    internal static string Resolve(string? advertised, IEnumerable<string> addresses)
    {
        if (advertised is not null)
        {
            return advertised.TrimEnd('/');
        }

        var first = addresses.FirstOrDefault() ?? throw new InvalidOperationException("Cluster:AdvertisedUrl is required: the server reports no listening address.");
        var host = new Uri(first.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal)).Host;
        if (host is "0.0.0.0" or "[::]" or "::")
        {
            throw new InvalidOperationException($"Cluster:AdvertisedUrl is required when listening on a wildcard address ({first}).");
        }

        return first.TrimEnd('/');
    }

    private void Register()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        string url;
        try
        {
            url = Resolve(options.Value.AdvertisedUrl, addresses);
        }
        catch (InvalidOperationException ex)
        {
            LogCannotAdvertise(ex.Message);
            address.Fail(ex);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
            return;
        }

        LogAdvertised(state.LocalNodeId, url);
        var self = state.GetNode(state.LocalNodeId)!;
        state.AddOrUpdateNode(new NodeInfo(self.NodeId, url, self.Capacity, self.Name, self.Order, self.State, self.Mode,
            self.MaxConcurrentRequests, self.Incarnation, self.Zone));
        address.Set(url);
    }

    [LoggerMessage(EventId = LogEvents.CannotAdvertise, Level = LogLevel.Critical, Message = "Stopping: {Reason}")]
    private partial void LogCannotAdvertise(string reason);

    [LoggerMessage(EventId = LogEvents.Advertised, Level = LogLevel.Information, Message = "Node {NodeId} advertises {Url}")]
    private partial void LogAdvertised(string nodeId, string url);
}
