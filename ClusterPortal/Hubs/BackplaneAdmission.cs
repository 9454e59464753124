using System.Globalization;
using ClusterEngine.Backplane;
using ClusterPortal.Security;
using Microsoft.AspNetCore.SignalR;

namespace ClusterPortal.Hubs;

/// <summary>
/// The backplane hub's door for every call (docs/identity.md, "Peers"): asks the <see cref="PeerGuard"/> whether
/// the authenticated peer may call this method now — membership can change while a connection is open, so it is asked
/// per call, not per connection. A refusal is a <see cref="HubException"/> to the caller; nothing runs.
/// </summary>
internal sealed class BackplaneAdmission(PeerGuard guard) : IHubFilter
{
    public ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var user = invocationContext.Context.User;
        var caller = user?.Identity?.Name ?? "";
        var incarnation = long.TryParse(user?.FindFirst(PeerAuthenticationHandler.IncarnationClaim)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : 0;
        var joinOnly = user?.HasClaim(PeerAuthenticationHandler.JoinOnlyClaim, "1") == true;
        return guard.Refusal(caller, incarnation, joinOnly, invocationContext.HubMethodName) is { } refusal
            ? throw new HubException(refusal)
            : next(invocationContext);
    }
}
