using System.Net;
using ClusterPortal.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Security;

/// <summary>Read-only views: admins always; others as <c>Portal:AnonymousView</c> says (docs/architecture.md §6).</summary>
internal sealed class ViewerRequirement : IAuthorizationRequirement;

/// <summary>Grants <see cref="ViewerRequirement"/>.</summary>
internal sealed class ViewerHandler(IOptions<PortalOptions> portal) : AuthorizationHandler<ViewerRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ViewerRequirement requirement)
    {
        var remote = (context.Resource as HttpContext)?.Connection.RemoteIpAddress;
        if (context.User.IsInRole("admin") || IsAnonymousViewer(portal.Value.AnonymousView, remote))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }

    /// <summary>True when an anonymous caller from <paramref name="remote"/> may view.</summary>
    internal static bool IsAnonymousViewer(AnonymousView mode, IPAddress? remote) => mode switch
    {
        AnonymousView.Always => true,
        AnonymousView.Loopback => remote is null || IPAddress.IsLoopback(remote),
        _ => false,
    };
}
