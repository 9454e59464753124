using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using ClusterPortal.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Security;

/// <summary>Authenticates the <c>X-Admin-Key</c> header against <c>Portal:AdminKey</c> (constant-time comparison); a wrong key counts
/// against the address (<see cref="AuthFailureThrottle"/>).</summary>
internal sealed class AdminKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IOptions<PortalOptions> portal,
    AuthFailureThrottle throttle)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? given = Request.Headers[AuthSchemes.AdminKeyHeader];
        if (given is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!IsAdminKey(portal.Value, given))
        {
            throttle.Failed(AuthFailureThrottle.AddressOf(Context)); // guessing is throttled per address
            return Task.FromResult(AuthenticateResult.Fail("The admin key is wrong."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Role, "admin")], AuthSchemes.AdminKey);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), AuthSchemes.AdminKey)));
    }

    /// <summary>401 with the admin-key challenge and what was wrong, for programs; a page's challenge is the login redirect.</summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (!AdminCookie.IsMachinePath(Request.Path))
        {
            await base.HandleChallengeAsync(properties);
            return;
        }

        var wrong = (await HandleAuthenticateOnceSafeAsync()).Failure is not null;
        AuthAnswers.Unauthorized(Context, AuthAnswers.AdminKey, wrong
            ? $"The admin key ({AuthSchemes.AdminKeyHeader}) is wrong."
            : $"This is an operator endpoint: send the admin key (Portal:AdminKey) in {AuthSchemes.AdminKeyHeader}, or log in at /login.");
    }

    /// <summary>Constant-time check of a presented admin key.</summary>
    internal static bool IsAdminKey(PortalOptions options, string given) =>
        options.AdminKey is { } key && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(given));
}
