using Microsoft.AspNetCore.Authentication.Cookies;

namespace ClusterPortal.Security;

/// <summary>The dashboard's admin login cookie: pages redirect to <c>/login</c>; APIs and hubs answer 401/403 instead.</summary>
internal static class AdminCookie
{
    private static readonly string[] s_machinePaths = ["/api", "/hubs", "/metrics", "/hangfire", "/openapi", "/health", "/account"];

    public static void Configure(CookieAuthenticationOptions options)
    {
        options.Cookie.Name = AuthSchemes.AdminCookieName;
        options.Cookie.HttpOnly = true;
        options.Cookie.SameSite = SameSiteMode.Strict;
        options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        options.LoginPath = "/login";
        options.LogoutPath = "/account/logout";
        options.ExpireTimeSpan = TimeSpan.FromHours(8);
        options.SlidingExpiration = true;
        options.Events.OnRedirectToLogin = context => Answer(context, StatusCodes.Status401Unauthorized);
        options.Events.OnRedirectToAccessDenied = context => Answer(context, StatusCodes.Status403Forbidden);
    }

    /// <summary>Whether <paramref name="path"/> is for programs (APIs, hubs, metrics …), which get 401/403 rather than the login page.</summary>
    public static bool IsMachinePath(PathString path) => s_machinePaths.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));

    private static Task Answer(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (IsMachinePath(context.Request.Path))
        {
            context.Response.StatusCode = status;
        }
        else
        {
            context.Response.Redirect(context.RedirectUri);
        }

        return Task.CompletedTask;
    }
}
