using Microsoft.AspNetCore.Authorization;

namespace ClusterPortal.Security;

/// <summary>The route's <c>{clientId}</c> must be the client the token is bound to; admins pass for read-only client calls (GET, HEAD).</summary>
internal sealed class ClientAccessRequirement : IAuthorizationRequirement;

/// <summary>Grants <see cref="ClientAccessRequirement"/>: 403 for another client's token, 401 without one (docs/architecture.md §5).</summary>
internal sealed class ClientAccessHandler : AuthorizationHandler<ClientAccessRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ClientAccessRequirement requirement)
    {
        if (context.Resource is HttpContext http)
        {
            var routeClient = http.GetRouteValue("clientId") as string;
            var tokenClient = context.User.FindFirst(AuthSchemes.ClientIdClaim)?.Value;
            // Admins read (GET, and HEAD, which is GET without the body: RFC 9110 §9.3.2), never change a client's state.
            var isAdmin = context.User.IsInRole("admin") && (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method));
            if ((tokenClient is not null && string.Equals(tokenClient, routeClient, StringComparison.Ordinal)) || isAdmin)
            {
                context.Succeed(requirement);
            }
        }

        return Task.CompletedTask;
    }
}
