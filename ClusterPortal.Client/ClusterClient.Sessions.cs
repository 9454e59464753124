using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ClusterPortal.Client.Contract;

namespace ClusterPortal.Client;

/// <summary>Logon, token renewal, re-announcing after a failover, logoff.</summary>
public sealed partial class ClusterClient
{
    /// <summary>
    /// Logs on (announces the client, <c>POST /api/sessions</c>): a new client id gets its primary, alternate and a
    /// token; a returning one (a token from an earlier session or from <see cref="ClusterClientOptions.Token"/>) gets
    /// its assignment and a renewed token. Tries the session's nodes first, then the shared address.
    /// </summary>
    /// <param name="cancellationToken">Cancels the logon.</param>
    /// <returns>The new session.</returns>
    /// <exception cref="ClusterClientException">No node answered, or the cluster refused (401: the client id exists
    /// and no valid token was sent; 403: the token is another client's; 503: the cluster is full).</exception>
    public async Task<ClientSession> LogOnAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _sessionGate.WaitAsync(cancellationToken);
        try
        {
            await ResolveSharedAddressAsync(cancellationToken);
            var session = await AnnounceAsync(Targets(_session), cancellationToken);
            _loggedOn = true;
            return session;
        }
        finally
        {
            _sessionGate.Release();
        }
    }

    /// <summary>Renews the token now (a new session with the current token), whatever its remaining lifetime.</summary>
    /// <param name="cancellationToken">Cancels the renewal.</param>
    /// <returns>The renewed session.</returns>
    /// <exception cref="InvalidOperationException">The client has not logged on.</exception>
    /// <exception cref="ClusterClientException">No node answered, or the cluster refused the token.</exception>
    public async Task<ClientSession> RenewTokenAsync(CancellationToken cancellationToken = default)
    {
        var before = RequireSession();
        await _sessionGate.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have renewed while this one waited.
            return !ReferenceEquals(_session, before) ? _session! : await RenewLockedAsync(cancellationToken);
        }
        finally
        {
            _sessionGate.Release();
        }
    }

    /// <summary>
    /// Logs off (<c>DELETE /api/sessions/{clientId}</c>): the node starts the on-logoff mirror sync. The assignment,
    /// the token and the local cache stay, so <see cref="LogOnAsync"/> later returns as the same client.
    /// </summary>
    /// <param name="cancellationToken">Cancels the logoff.</param>
    /// <exception cref="InvalidOperationException">The client has not logged on.</exception>
    /// <exception cref="ClusterClientException">No node answered, or the cluster refused.</exception>
    public async Task LogOffAsync(CancellationToken cancellationToken = default)
    {
        var session = RequireSession();
        using var answer = await SendAsync(Targets(session), node => Authorized(HttpMethod.Delete,
            Endpoint(node, ClusterPaths.Session(ClientId)), session), cancellationToken);
        await EnsureStatusAsync(answer.Response, "log off", cancellationToken, HttpStatusCode.NoContent, HttpStatusCode.OK);
        _loggedOn = false;
    }

    /// <summary>Renews the token when less than <see cref="ClusterClientOptions.RenewWhenRemaining"/> of its lifetime is left.</summary>
    private async Task<ClientSession> FreshSessionAsync(CancellationToken cancellationToken)
    {
        var session = RequireSession();
        await ResolveSharedAddressAsync(cancellationToken);
        if (!NeedsRenewal(session))
        {
            return session;
        }

        await _sessionGate.WaitAsync(cancellationToken);
        try
        {
            return NeedsRenewal(_session!) ? await RenewLockedAsync(cancellationToken) : _session!;
        }
        finally
        {
            _sessionGate.Release();
        }
    }

    private bool NeedsRenewal(ClientSession session)
    {
        var lifetime = session.ExpiresAt - session.IssuedAt;
        var left = session.ExpiresAt - _options.TimeProvider.GetUtcNow();
        return left < lifetime * _options.RenewWhenRemaining;
    }

    private async Task<ClientSession> RenewLockedAsync(CancellationToken cancellationToken)
    {
        var session = await AnnounceAsync(Targets(_session), cancellationToken);
        _counters.Renewal();
        return session;
    }

    /// <summary>
    /// After an operation was answered through another node than the primary (failover), or served by another node
    /// (the assignment moved), the client announces itself again where it was answered to learn its new primary
    /// and alternate — at most once per second. Failures are ignored: the next operation fails over again.
    /// </summary>
    private async Task RefreshAssignmentAsync(Uri at, ClientSession seen, CancellationToken cancellationToken)
    {
        if (!await _sessionGate.WaitAsync(0, cancellationToken))
        {
            return;
        }

        try
        {
            var now = _options.TimeProvider.GetUtcNow();
            if (ReferenceEquals(_session, seen) && now - _lastRefresh >= TimeSpan.FromSeconds(1))
            {
                _lastRefresh = now;
                await AnnounceAsync(Targets(_session, at), cancellationToken);
            }
        }
        catch (Exception ex) when (ex is ClusterClientException or OperationCanceledException or ObjectDisposedException or HttpRequestException)
        {
            // Best effort; the current session still names nodes that can be tried.
        }
        finally
        {
            _sessionGate.Release();
        }
    }

    /// <summary>
    /// POST /api/sessions (with the current token when there is one); stores and returns the new session. Caller holds the
    /// session gate. Without a token the announce carries this client's retry key (<see cref="RetryKeys"/>), the same on
    /// every try until a session is stored: when a node registered the id but its answer was lost (a dropped connection, a
    /// timeout), the next try — at that node or another — gets the token instead of a 401.
    /// </summary>
    private async Task<ClientSession> AnnounceAsync(IReadOnlyList<Uri> targets, CancellationToken cancellationToken)
    {
        var token = _session?.Token ?? _options.Token;
        var retryKey = token is null ? _retryKey ??= RetryKeys.New() : null;
        using var answer = await SendAsync(targets, node =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, Endpoint(node, ClusterPaths.Sessions))
            {
                Content = JsonContent.Create(new SessionRequest(ClientId, retryKey), options: ContractJson.Options),
            };
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            return request;
        }, cancellationToken);
        await EnsureStatusAsync(answer.Response, "log on", cancellationToken, HttpStatusCode.Created, HttpStatusCode.OK);
        var session = ToSession(await ReadSessionAsync(answer.Response, cancellationToken));
        Volatile.Write(ref _session, session);
        _retryKey = null; // the token is what proves the client from now on
        return session;
    }

    private ClientSession RequireSession()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Volatile.Read(ref _session) is { } session && _loggedOn
            ? session
            : throw new InvalidOperationException("Log on first (LogOnAsync).");
    }

    private static HttpRequestMessage Authorized(HttpMethod method, Uri uri, ClientSession session)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session.Token);
        return request;
    }

    /// <summary>Reads a logon answer; a body that is not a whole <see cref="SessionResponse"/> is the node's fault, not the caller's.</summary>
    private static async Task<SessionResponse> ReadSessionAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        SessionResponse? wire;
        try
        {
            wire = await response.Content.ReadFromJsonAsync<SessionResponse>(ContractJson.Options, cancellationToken);
        }
        catch (JsonException ex)
        {
            throw new ClusterClientException($"The logon answer was not a session: {ex.Message}", ex);
        }

        return wire is { ClientId: not null, Primary.NodeId: not null, Token: not null } && IsNodeUrl(wire.Primary.Url)
            && (wire.Alternate is null || (wire.Alternate.NodeId is not null && IsNodeUrl(wire.Alternate.Url)))
            ? wire
            : throw new ClusterClientException("The logon answer lacked the client id, a node's id or http(s) URL, or the token.", (int)response.StatusCode);
    }

    private static bool IsNodeUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    private ClientSession ToSession(SessionResponse wire) =>
        new(wire.ClientId, ToEndpoint(wire.Primary), wire.Alternate is null ? null : ToEndpoint(wire.Alternate), wire.Token,
            _options.TimeProvider.GetUtcNow(), wire.TokenExpiresAt);

    private static NodeEndpoint ToEndpoint(NodeRef node) => new(node.NodeId, new Uri(node.Url));

    /// <summary>Throws <see cref="ClusterClientException"/> with the node's problem details unless the status is one of <paramref name="expected"/>.</summary>
    private static async Task EnsureStatusAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken, params HttpStatusCode[] expected)
    {
        if (expected.Contains(response.StatusCode))
        {
            return;
        }

        var problem = await ReadProblemAsync(response, cancellationToken);
        var reason = problem?.ToString() is { Length: > 0 } text ? text : response.ReasonPhrase;
        throw new ClusterClientException($"The cluster refused to {what}: {(int)response.StatusCode} {reason}.", (int)response.StatusCode, problem);
    }

    /// <summary>The answer's problem details (<see cref="ApiProblem.MediaType"/>), or null when it has none or they cannot be read.</summary>
    private static async Task<ApiProblem?> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentType?.MediaType != ApiProblem.MediaType)
        {
            return null;
        }

        try
        {
            return await response.Content.ReadFromJsonAsync<ApiProblem>(ContractJson.Options, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
