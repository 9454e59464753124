using System.Security.Claims;
using ClusterPortal.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Security;

/// <summary>
/// The dashboard's admin login (DESIGN.md §6): <c>POST /account/login</c> checks the admin key in
/// constant time and sets the admin cookie; <c>POST /account/logout</c> clears it. Both are forms
/// with an antiforgery token (the login page, the layout's log-out button).
/// </summary>
internal static partial class AdminLoginApi
{
    public static RouteGroupBuilder MapAdminLogin(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/account").ExcludeFromDescription().AllowAnonymous();
        group.MapPost("/login", Login);
        group.MapPost("/logout", (Delegate)Logout);
        return group;
    }

    internal static async Task<IResult> Login(HttpContext http, [FromForm] string? key, [FromForm] string? returnUrl,
        IOptions<PortalOptions> portal, ILoggerFactory loggers)
    {
        var target = LocalOnly(returnUrl);
        if (string.IsNullOrEmpty(key) || !AdminKeyAuthenticationHandler.IsAdminKey(portal.Value, key))
        {
            LogRefused(loggers.CreateLogger(typeof(AdminLoginApi).FullName!), http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            return TypedResults.LocalRedirect($"/login?error=1&returnUrl={Uri.EscapeDataString(target)}");
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "admin"), new Claim(ClaimTypes.Role, "admin")], AuthSchemes.AdminCookie);
        await http.SignInAsync(AuthSchemes.AdminCookie, new ClaimsPrincipal(identity));
        return TypedResults.LocalRedirect(target);
    }

    internal static async Task<IResult> Logout(HttpContext http)
    {
        await http.SignOutAsync(AuthSchemes.AdminCookie);
        return TypedResults.LocalRedirect("/");
    }

    /// <summary>Only local paths are followed after login (no open redirect).</summary>
    internal static string LocalOnly(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal) ? returnUrl : "/";

    [LoggerMessage(EventId = 3301, Level = LogLevel.Warning, Message = "Admin login refused from {Remote}: wrong key")]
    private static partial void LogRefused(ILogger logger, string remote);
}
