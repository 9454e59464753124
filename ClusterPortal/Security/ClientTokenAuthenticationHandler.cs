using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Security;

/// <summary>Authenticates <c>Authorization: Bearer {token}</c> with <see cref="ClientTokenService"/>.</summary>
internal sealed class ClientTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ClientTokenService tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(Authenticate(Request, tokens));

    /// <summary>401 with the bearer challenge and what was wrong: no token, several fields, an expired, superseded or foreign token.</summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure;
        if (failure is TokenRefused refused)
        {
            AuthAnswers.Unauthorized(Context, AuthAnswers.InvalidBearer(refused.Description), refused.Message);
        }
        else
        {
            AuthAnswers.Unauthorized(Context, AuthAnswers.Bearer,
                "This endpoint needs the client's token: Authorization: Bearer {token}, as POST /api/sessions gave it.");
        }
    }

    /// <summary>403: the token is valid but bound to another client than the route's.</summary>
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        AuthAnswers.Forbidden(Context, "The bearer token is bound to another client: a token opens only its own client's /api/clients/{clientId}/ paths.");
        return Task.CompletedTask;
    }

    /// <summary>
    /// The request's bearer token as a principal with the <see cref="AuthSchemes.ClientIdClaim"/> it is bound to; no result
    /// without a bearer token, a failure for one that is invalid, expired or superseded (issued for an earlier registration of
    /// its client id). Shared with <see cref="PortalAuthenticationHandler"/>.
    /// </summary>
    internal static AuthenticateResult Authenticate(HttpRequest request, ClientTokenService tokens)
    {
        // One credential per request (RFC 9110 §11.6.2: Authorization is not a list). Several field lines — even one of
        // them empty — fail: read as a string they would be joined without the empty ones and could validate here, while
        // the same request forwarded to the primary arrives as one field "Bearer t, " that does not (a 200 here, a 401
        // through a peer, found by attacking the gate). ClientTokenGate refuses them too (it admits exactly one field).
        var authorization = request.Headers.Authorization;
        if (authorization.Count > 1)
        {
            return AuthenticateResult.Fail(new TokenRefused("Several Authorization fields",
                "The request has several Authorization fields: send exactly one, Authorization: Bearer {token}."));
        }

        if (!TryBearerToken(authorization.Count == 1 ? authorization[0] : null, out var token))
        {
            return AuthenticateResult.NoResult();
        }

        return tokens.Check(token, out var clientId, out var expiresAt) switch
        {
            TokenCheck.Valid => AuthenticateResult.Success(new AuthenticationTicket(Principal(clientId!), AuthSchemes.ClientToken)),
            TokenCheck.Expired => AuthenticateResult.Fail(new TokenRefused("The token expired", Expired(tokens, expiresAt))),
            TokenCheck.Superseded => AuthenticateResult.Fail(new TokenRefused(SupersededDescription, Superseded(clientId!))),
            _ => AuthenticateResult.Fail(new TokenRefused("The token is not valid",
                "The bearer token is not one this cluster issued (malformed, altered, or signed with another Cluster:Key).")),
        };
    }

    /// <summary>RFC 6750 <c>error_description</c> of a <see cref="TokenCheck.Superseded"/> token.</summary>
    internal const string SupersededDescription = "The client id was registered again";

    /// <summary>Why a <see cref="TokenCheck.Superseded"/> token opens nothing (docs/architecture.md §5).</summary>
    internal static string Superseded(string clientId) =>
        $"The bearer token was issued for an earlier registration of client '{clientId}': the id was removed after Cluster:ClientIdleTimeout unseen and has been registered again since the token was issued, so the token opens and renews nothing. A device that wants a session needs a client id of its own.";

    /// <summary>What a device with an expired token does next (docs/architecture.md §5).</summary>
    internal static string Expired(ClientTokenService tokens, DateTimeOffset expiresAt) => tokens.IsRenewable(expiresAt)
        ? string.Create(CultureInfo.InvariantCulture,
            $"The bearer token expired at {expiresAt:yyyy-MM-dd'T'HH:mm:ss'Z'}: log on again with it (POST /api/sessions with this token) before {tokens.RenewableUntil(expiresAt):yyyy-MM-dd'T'HH:mm:ss'Z'} for a new one.")
        : string.Create(CultureInfo.InvariantCulture,
            $"The bearer token expired at {expiresAt:yyyy-MM-dd'T'HH:mm:ss'Z'}, too long ago to renew: once the client has been unseen for Cluster:ClientIdleTimeout its id is free again and POST /api/sessions places it anew.");

    /// <summary>Why a presented token was refused: <see cref="Description"/> for the challenge, the message for the problem body.</summary>
    private sealed class TokenRefused(string description, string message) : Exception(message)
    {
        /// <summary>RFC 6750 <c>error_description</c>: a few ASCII words without quotes.</summary>
        public string Description { get; } = description;
    }

    /// <summary>The token of an <c>Authorization: Bearer {token}</c> value (scheme name in any case, spaces trimmed).</summary>
    /// <param name="authorization">One <c>Authorization</c> field's value.</param>
    /// <param name="token">The token; empty when the value is not a bearer credential.</param>
    /// <returns>Whether the value is a bearer credential.</returns>
    internal static bool TryBearerToken(string? authorization, out ReadOnlySpan<char> token)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = default;
            return false;
        }

        token = authorization.AsSpan("Bearer ".Length).Trim();
        return true;
    }

    /// <summary>The principal of a client's request: the <see cref="AuthSchemes.ClientIdClaim"/> its token is bound to.</summary>
    internal static ClaimsPrincipal Principal(string clientId) =>
        new(new ClaimsIdentity([new Claim(AuthSchemes.ClientIdClaim, clientId)], AuthSchemes.ClientToken));
}
