using System.Security.Claims;
using ClusterPortal.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Security;

/// <summary>
/// The dashboard's admin login (docs/architecture.md §6): <c>POST /account/login</c> checks the admin key in
/// constant time and sets the admin cookie; <c>POST /account/logout</c> clears it. Both are forms
/// with an antiforgery token (the login page, the layout's log-out button).
/// </summary>
internal static partial class AdminLoginApi
{
    /// <summary>The login form's target (throttled with wrong admin keys, see <see cref="AuthFailureThrottle"/>).</summary>
    public const string LoginPath = GroupPath + "/login";

    /// <summary>The account endpoints' path: forms only.</summary>
    public const string GroupPath = "/account";

    public static RouteGroupBuilder MapAdminLogin(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup(GroupPath).ExcludeFromDescription().AllowAnonymous();
        group.MapPost("/login", Login);

        // No form field of its own, so the antiforgery token is not checked by binding: required here explicitly.
        group.MapPost("/logout", (Delegate)Logout).WithMetadata(new RequireAntiforgeryTokenAttribute());
        return group;
    }

    internal static async Task<IResult> Login(HttpContext http, [FromForm] string? key, [FromForm] string? returnUrl,
        IOptions<PortalOptions> portal, AuthFailureThrottle throttle, ILoggerFactory loggers)
    {
        var target = LocalOnly(returnUrl);
        if (string.IsNullOrEmpty(key) || !AdminKeyAuthenticationHandler.IsAdminKey(portal.Value, key))
        {
            throttle.Failed(AuthFailureThrottle.AddressOf(http));
            LogRefused(loggers.CreateLogger(typeof(AdminLoginApi).FullName!), AuthFailureThrottle.AddressOf(http));
            return TypedResults.LocalRedirect($"/login?error=1&returnUrl={Uri.EscapeDataString(target)}");
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "admin"), new Claim(ClaimTypes.Role, "admin")], AuthSchemes.AdminCookie);
        await http.SignInAsync(AuthSchemes.AdminCookie, new ClaimsPrincipal(identity));
        return TypedResults.LocalRedirect(target);
    }

    internal static async Task<IResult> Logout(HttpContext http)
    {
        if (http.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: true })
        {
            return TypedResults.Problem("Log out with the form of the dashboard: the antiforgery token is missing or invalid.",
                statusCode: StatusCodes.Status400BadRequest, title: "Antiforgery token required");
        }

        await http.SignOutAsync(AuthSchemes.AdminCookie);
        return TypedResults.LocalRedirect("/");
    }

    /// <summary>
    /// Only local paths are followed after login (no open redirect); one with a control character (a tab, a newline) is
    /// ignored too: the framework's local redirect refuses it, which made the login a 500.
    /// </summary>
    internal static string LocalOnly(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal) && !returnUrl.Any(char.IsControl) ? returnUrl : "/";

    [LoggerMessage(EventId = LogEvents.AdminLoginApiRefused, Level = LogLevel.Warning, Message = "Admin login refused from {Remote}: wrong key")]
    private static partial void LogRefused(ILogger logger, string remote);
}
