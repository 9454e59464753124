using System.Net;
using System.Security.Claims;
using ClusterEngine;
using ClusterPortal.Hosting;
using ClusterPortal.Security;
using ClusterPortal.Tests.Support;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;
using static ClusterPortal.Tests.Api.ItemsTestSupport;

namespace ClusterPortal.Tests.Identity;

/// <summary>
/// The client's short path past the framework's credential checks (<see cref="ClientTokenGate"/>): only a request the
/// framework would let through takes it; everything else gets the framework's own 401/403.
/// </summary>
public sealed class ClientTokenGateTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddYears(56));
    private readonly ClientTokenService _tokens;
    private readonly ClientTokenGate _gate;

    public ClientTokenGateTests()
    {
        _tokens = new(Options.Create(new ClusterOptions { NodeId = "node-1", Key = "test-cluster-key-0123456789" }),
            Options.Create(new PortalOptions { TokenLifetime = TimeSpan.FromHours(1) }), _time);
        _gate = new ClientTokenGate(_tokens);
    }

    public void Dispose() => _tokens.Dispose();

    [Fact]
    public void A_token_bound_to_the_routes_client_is_admitted_with_its_principal_and_authorization_recorded()
    {
        var http = Request("device-1", "Bearer " + _tokens.Issue("device-1", 1).Token);

        Assert.True(_gate.Admits(http));
        Assert.Equal("device-1", http.User.FindFirst(AuthSchemes.ClientIdClaim)?.Value);
        Assert.Equal(AuthSchemes.ClientToken, http.User.Identity?.AuthenticationType);
        Assert.True(http.Items.ContainsKey(ClientTokenGate.AuthorizationRanKey));
    }

    [Fact]
    public void The_scheme_name_is_matched_in_any_case_and_spaces_around_the_token_are_trimmed_as_the_framework_does()
    {
        Assert.True(_gate.Admits(Request("device-1", "bearer  " + _tokens.Issue("device-1", 1).Token + " ")));
    }

    public static TheoryData<string> NotTheClientsOwnToken => new()
    {
        "another",         // a token of another client: 403 from the framework
        "forged",          // MAC changed
        "expired",
        "none",
        "basic",           // Authorization: Basic …
        "two fields",      // two Authorization fields, one of them the client's own token
        "empty bearer",
    };

    [Theory]
    [MemberData(nameof(NotTheClientsOwnToken))]
    public void Anything_but_the_clients_own_valid_token_takes_the_frameworks_path_untouched(string kind)
    {
        var own = _tokens.Issue("device-1", 1).Token;
        StringValues authorization = kind switch
        {
            "another" => "Bearer " + _tokens.Issue("device-2", 1).Token,
            "forged" => "Bearer " + own[..^2] + (own[^2] == 'A' ? "BB" : "AA"),
            "expired" => "Bearer " + own,
            "none" => StringValues.Empty,
            "basic" => "Basic ZGV2aWNlLTE6c2VjcmV0",
            "two fields" => new StringValues(["Bearer " + own, "Bearer " + own]),
            "empty bearer" => "Bearer ",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        if (kind == "expired")
        {
            _time.Advance(TimeSpan.FromHours(2));
        }

        var http = Request("device-1", authorization);

        Assert.False(_gate.Admits(http));
        Assert.False(http.User.Identity?.IsAuthenticated ?? false);
        Assert.False(http.Items.ContainsKey(ClientTokenGate.AuthorizationRanKey));
    }

    [Fact]
    public void An_endpoint_without_the_mark_or_with_any_other_rule_besides_the_client_policy_is_never_short_cut()
    {
        var token = "Bearer " + _tokens.Issue("device-1", 1).Token;

        Assert.False(_gate.Admits(Request("device-1", token, new AuthorizeAttribute(AuthSchemes.ClientPolicy))));
        Assert.False(_gate.Admits(Request("device-1", token, ClientTokenEndpoint.Instance)));
        Assert.False(_gate.Admits(Request("device-1", token, ClientTokenEndpoint.Instance, new AuthorizeAttribute(AuthSchemes.ClientPolicy),
            new AuthorizeAttribute(AuthSchemes.AdminPolicy))));
        Assert.False(_gate.Admits(Request("device-1", token, ClientTokenEndpoint.Instance,
            new AuthorizeAttribute(AuthSchemes.ClientPolicy) { Roles = "admin" })));
        Assert.False(_gate.Admits(Request(null, token)));
    }

    [Fact]
    public void A_request_with_no_credential_to_an_anonymous_endpoint_is_admitted_as_the_anonymous_user()
    {
        var http = Request(null, StringValues.Empty, new AllowAnonymousAttribute());

        Assert.True(_gate.Admits(http));
        Assert.False(http.User.Identity?.IsAuthenticated ?? false);
        Assert.True(http.Items.ContainsKey(ClientTokenGate.AuthorizationRanKey));
    }

    [Theory]
    [InlineData("Authorization", "Bearer not-a-token")]
    [InlineData("X-Admin-Key", "anything")]
    [InlineData("Cookie", "ClusterPortal.Admin=anything")]
    public void Any_credential_sent_to_an_anonymous_endpoint_takes_the_frameworks_path(string header, string value)
    {
        var http = Request(null, StringValues.Empty, new AllowAnonymousAttribute());
        http.Request.Headers[header] = value;

        Assert.False(_gate.Admits(http));
    }

    [Fact]
    public void An_endpoint_that_is_neither_anonymous_nor_marked_is_never_short_cut_even_without_credentials()
    {
        Assert.False(_gate.Admits(Request(null, StringValues.Empty, new AuthorizeAttribute(AuthSchemes.AdminPolicy))));
        Assert.False(_gate.Admits(new DefaultHttpContext()));
    }

    /// <summary>
    /// On a real node: the client's own item and assignment requests never reach the authentication service (a claims
    /// transformation, which that service runs on every successful authentication, counts zero — so the host did not add
    /// a second authentication in front either), while the admin's request and every refused one still go through it and
    /// get the same status codes as before.
    /// </summary>
    [Fact]
    public async Task On_a_node_the_clients_own_requests_skip_authentication_and_every_other_request_keeps_its_answer()
    {
        using var origin = new TestOrigin();
        var transformations = new CountingTransformation();
        using var factory = new PortalFactory(origin.Settings())
        {
            Configure = b => b.ConfigureServices(s => s.AddSingleton<IClaimsTransformation>(transformations)),
        };
        var (own, _) = await factory.LoggedOnClient("gate-1");
        Assert.Equal(HttpStatusCode.OK, (await factory.Client().GetAsync("/login")).StatusCode); // anonymous page with authorization metadata
        var (other, _) = await factory.LoggedOnClient("gate-2");
        transformations.Reset();

        var item = await own.GetAsync(ItemPath("gate-1", "hello.txt"));
        var again = await own.SendAsync(Get("gate-1", "hello.txt", ("If-None-Match", ETag(item))));
        var assignment = await own.GetAsync("/api/clients/gate-1");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.NotModified, HttpStatusCode.OK), (item.StatusCode, again.StatusCode, assignment.StatusCode));
        Assert.Equal(0, transformations.Count);

        Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync(ItemPath("gate-1", "hello.txt"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.Client().GetAsync(ItemPath("gate-1", "hello.txt"))).StatusCode);
        var twice = new HttpRequestMessage(HttpMethod.Get, ItemPath("gate-1", "hello.txt"));
        twice.Headers.TryAddWithoutValidation("Authorization", [own.DefaultRequestHeaders.Authorization!.ToString(), own.DefaultRequestHeaders.Authorization!.ToString()]);
        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.Client().SendAsync(twice)).StatusCode);
        // The own token and an empty second field, as sent on the wire: was 200 here and 401 through a peer.
        var ownAndEmpty = await RawHttp.SendAsync(own.BaseAddress!, "GET", ItemPath("gate-1", "hello.txt"),
            "Authorization: " + own.DefaultRequestHeaders.Authorization!, "Authorization: ");
        Assert.Equal(401, ownAndEmpty.Status);
        Assert.Equal(HttpStatusCode.OK, (await factory.AdminClient().GetAsync("/api/clients/gate-1")).StatusCode);
        using var adminHead = new HttpRequestMessage(HttpMethod.Head, ItemPath("gate-1", "hello.txt"));
        Assert.Equal(HttpStatusCode.OK, (await factory.AdminClient().SendAsync(adminHead)).StatusCode); // HEAD reads as GET does
        var adminDelete = factory.AdminClient();
        Assert.Equal(HttpStatusCode.Forbidden, (await adminDelete.DeleteAsync("/api/clients/gate-1/mirror")).StatusCode);
        Assert.True(transformations.Count >= 2, $"the admin's requests went through authentication ({transformations.Count} transformations)");
    }

    private static DefaultHttpContext Request(string? routeClient, StringValues authorization, params object[] metadata)
    {
        var http = new DefaultHttpContext();
        if (authorization.Count > 0)
        {
            http.Request.Headers.Authorization = authorization;
        }

        if (routeClient is not null)
        {
            http.Request.RouteValues["clientId"] = routeClient;
        }

        object[] marks = metadata.Length > 0 ? metadata : [ClientTokenEndpoint.Instance, new AuthorizeAttribute(AuthSchemes.ClientPolicy)];
        http.SetEndpoint(new Endpoint(_ => Task.CompletedTask, new EndpointMetadataCollection(marks), "test"));
        return http;
    }

    private sealed class CountingTransformation : IClaimsTransformation
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Reset() => Interlocked.Exchange(ref _count, 0);

        public Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
        {
            Interlocked.Increment(ref _count);
            return Task.FromResult(principal);
        }
    }
}
