using System.Net;
using System.Net.Http.Json;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Api;

/// <summary>GET /api/clients/{clientId} (docs/architecture.md §5).</summary>
public sealed class ClientsApiTests : IDisposable
{
    private readonly PortalFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Client_reads_its_own_assignment_others_get_403_anonymous_401_admin_200()
    {
        var (owner, session) = await _factory.LoggedOnClient("reader-1");
        var (other, _) = await _factory.LoggedOnClient("reader-2");

        var own = await owner.GetFromJsonAsync<Dictionary<string, object>>("/api/clients/reader-1");
        Assert.Equal("reader-1", own!["clientId"].ToString());
        Assert.Contains("@node-1", own["version"].ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync("/api/clients/reader-1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _factory.Client().GetAsync("/api/clients/reader-1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _factory.AdminClient().GetAsync("/api/clients/reader-1")).StatusCode);
        Assert.Equal(session.ClientId, own["clientId"].ToString());
    }

    [Fact]
    public async Task Unknown_client_is_404_for_admin()
    {
        var response = await _factory.AdminClient().GetAsync("/api/clients/nobody");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Wrong_admin_key_is_401()
    {
        var http = _factory.Client();
        http.DefaultRequestHeaders.Add("X-Admin-Key", "not-the-admin-key-at-all");

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/clients/nobody")).StatusCode);
    }
}
