using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace ClusterEngine.Client;

/// <summary>Logon, token renewal, re-announcing after a failover, logoff.</summary>
public sealed partial class ClusterClient
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

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
            Endpoint(node, $"api/sessions/{Uri.EscapeDataString(ClientId)}"), session), cancellationToken);
        EnsureStatus(answer.Response, "log off", HttpStatusCode.NoContent, HttpStatusCode.OK);
        _loggedOn = false;
    }

    /// <summary>Renews the token when less than <see cref="ClusterClientOptions.RenewWhenRemaining"/> of its lifetime is left.</summary>
    private async Task<ClientSession> FreshSessionAsync(CancellationToken cancellationToken)
    {
        var session = RequireSession();
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

    /// <summary>POST /api/sessions (with the current token when there is one); stores and returns the new session. Caller holds the session gate.</summary>
    private async Task<ClientSession> AnnounceAsync(IReadOnlyList<Uri> targets, CancellationToken cancellationToken)
    {
        var token = _session?.Token ?? _options.Token;
        using var answer = await SendAsync(targets, node =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, Endpoint(node, "api/sessions"))
            {
                Content = JsonContent.Create(new SessionRequestWire(ClientId), options: s_json),
            };
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            return request;
        }, cancellationToken);
        EnsureStatus(answer.Response, "log on", HttpStatusCode.Created, HttpStatusCode.OK);
        var wire = await answer.Response.Content.ReadFromJsonAsync<SessionWire>(s_json, cancellationToken)
            ?? throw new ClusterClientException("The logon answer had no body.", (int)answer.Response.StatusCode);
        var session = new ClientSession(wire.ClientId, wire.Primary.ToEndpoint(), wire.Alternate?.ToEndpoint(), wire.Token,
            _options.TimeProvider.GetUtcNow(), wire.TokenExpiresAt);
        Volatile.Write(ref _session, session);
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

    private static void EnsureStatus(HttpResponseMessage response, string what, params HttpStatusCode[] expected)
    {
        if (!expected.Contains(response.StatusCode))
        {
            throw new ClusterClientException($"The cluster refused to {what}: {(int)response.StatusCode} {response.ReasonPhrase}.", (int)response.StatusCode);
        }
    }

    private sealed record SessionRequestWire(string ClientId);

    private sealed record NodeWire(string NodeId, string Url)
    {
        public NodeEndpoint ToEndpoint() => new(NodeId, new Uri(Url));
    }

    private sealed record SessionWire(string ClientId, NodeWire Primary, NodeWire? Alternate, int Bounces, string Token, DateTimeOffset TokenExpiresAt);
}
