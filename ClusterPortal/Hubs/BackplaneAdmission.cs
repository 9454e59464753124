using System.Globalization;
using ClusterEngine.Backplane;
using ClusterPortal.Security;
using Microsoft.AspNetCore.SignalR;

namespace ClusterPortal.Hubs;

/// <summary>
/// The backplane hub's door for every call (docs/identity.md, "Peers"): asks the <see cref="PeerGuard"/> whether
/// the authenticated peer may call this method now — membership can change while a connection is open, so it is asked
/// per call, not per connection. A refusal is a <see cref="HubException"/> to the caller; nothing runs.
/// <para>
/// It is also the one place backplane failures are logged. SignalR logs every exception out of a hub method at Error
/// (<c>DefaultHubDispatcher</c>, event 8) — a refusal too, and a restarted member's calls are refused for a heartbeat
/// or two until it is admitted, so every restart wrote a burst of Error lines. That category is turned down to Critical
/// (<see cref="Hosting.PortalServiceCollectionExtensions"/>); refusals are logged by the <see cref="PeerGuard"/> (a
/// warning, at most one per sender and method every 10 s), expected answers (<see cref="HubException"/> from a method)
/// not at all, and anything else here at Error with its exception.
/// </para>
/// </summary>
internal sealed partial class BackplaneAdmission(PeerGuard guard, ILogger<BackplaneAdmission> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var user = invocationContext.Context.User;
        var caller = user?.Identity?.Name ?? "";
        var incarnation = long.TryParse(user?.FindFirst(PeerAuthenticationHandler.IncarnationClaim)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : 0;
        var joinOnly = user?.HasClaim(PeerAuthenticationHandler.JoinOnlyClaim, "1") == true;
        if (guard.Refusal(caller, incarnation, joinOnly, invocationContext.HubMethodName) is { } refusal)
        {
            throw new HubException(refusal);
        }

        try
        {
            return await next(invocationContext);
        }
        catch (Exception ex) when (ex is not HubException and not OperationCanceledException)
        {
            LogFailed(invocationContext.HubMethodName, caller, ex);
            throw;
        }
    }

    [LoggerMessage(EventId = LogEvents.BackplaneCallFailed, Level = LogLevel.Error, Message = "Backplane call {Method} from {Caller} failed")]
    private partial void LogFailed(string method, string caller, Exception exception);
}
