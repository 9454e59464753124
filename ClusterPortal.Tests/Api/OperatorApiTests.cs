using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Api;

/// <summary>GET /api/cluster, /api/nodes, /api/clients paging, health, OpenAPI, metrics (docs/architecture.md §6).</summary>
public sealed class OperatorApiTests : IDisposable
{
    private readonly PortalFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Cluster_view_shows_nodes_with_enums_as_strings_and_totals()
    {
        await _factory.LoggedOnClient("c-1");
        await _factory.LoggedOnClient("c-2");

        using var doc = JsonDocument.Parse(await _factory.Client().GetStringAsync("/api/cluster"));

        var node = doc.RootElement.GetProperty("nodes")[0];
        Assert.Equal("node-1", node.GetProperty("nodeId").GetString());
        Assert.Equal("Up", node.GetProperty("state").GetString());
        Assert.Equal("Active", node.GetProperty("mode").GetString());
        Assert.Equal(2, node.GetProperty("primaryCount").GetInt32());
        Assert.Equal(2, doc.RootElement.GetProperty("totals").GetProperty("clients").GetInt32());
    }

    [Fact]
    public async Task Anonymous_view_never_needs_the_admin_key_even_on_loopback()
    {
        using var factory = new PortalFactory(new() { ["Portal:AnonymousView"] = "Never" });

        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.Client().GetAsync("/api/cluster")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await factory.AdminClient().GetAsync("/api/cluster")).StatusCode);
    }

    [Fact]
    public async Task Client_list_pages_filters_and_names_bad_parameters()
    {
        for (var i = 0; i < 12; i++)
        {
            await _factory.LoggedOnClient($"pager-{i:D2}");
        }

        var page = await _factory.Client().GetFromJsonAsync<JsonElement>("/api/clients?q=pager-1&pageSize=2&page=1&nodeId=node-1&role=primary");

        Assert.Equal(2, page.GetProperty("total").GetInt32());
        Assert.Equal("pager-10", page.GetProperty("items")[0].GetProperty("clientId").GetString());
        var bad = await _factory.Client().GetAsync("/api/clients?role=boss");
        await SessionsApiTests.AssertFieldProblem(bad, "role");
        await SessionsApiTests.AssertFieldProblem(await _factory.Client().GetAsync("/api/clients?pageSize=100000"), "pageSize");
    }

    [Fact]
    public async Task Bodies_and_query_values_of_the_wrong_type_are_400s_naming_the_field()
    {
        var admin = _factory.AdminClient();

        await SessionsApiTests.AssertFieldProblem(await admin.GetAsync("/api/clients?page=abc"), "page");
        var sleeping = await admin.PatchAsync("/api/nodes/node-1", JsonContent.Create(new { mode = "Sleeping" }));
        var said = await sleeping.Content.ReadAsStringAsync();
        Assert.True(said.Contains("expected one of Active, Maintenance", StringComparison.Ordinal), said);
        await SessionsApiTests.AssertFieldProblem(sleeping, "mode");
        await SessionsApiTests.AssertFieldProblem(await admin.PostAsJsonAsync("/api/nodes", new { url = "http://127.0.0.1:1", capacity = "lots" }), "capacity");
        await SessionsApiTests.AssertFieldProblem(await admin.PostAsync("/api/nodes", new StringContent("{", System.Text.Encoding.UTF8, "application/json")), "body");
        Assert.Equal("Active", (await admin.GetFromJsonAsync<JsonElement>("/api/cluster")).GetProperty("nodes")[0].GetProperty("mode").GetString());
    }

    [Theory]
    [InlineData("POST", "/api/nodes", "text/plain")]
    [InlineData("POST", "/api/nodes", null)] // no Content-Type at all
    [InlineData("PATCH", "/api/nodes/node-1", "application/x-www-form-urlencoded")]
    [InlineData("POST", "/api/sessions", "text/plain")]
    [InlineData("POST", "/api/sessions", null)] // was a 400 about the body
    [InlineData("POST", "/api/sessions", "application/json; charset=foo")] // a charset .NET does not know
    [InlineData("PATCH", "/api/nodes/node-1", "application/json; charset=foo")] // was a 500 (found by attack)
    [InlineData("POST", "/api/nodes", "application/json; charset=utf-7")]
    [InlineData("POST", "/account/login", "application/json", "application/x-www-form-urlencoded")] // a form endpoint names its own types
    public async Task A_body_of_another_media_type_is_a_415_naming_the_header_and_what_to_send(string method, string path, string? contentType,
        string expected = "application/json")
    {
        // Routing's media-type check answered a bare 415, the JSON binding one titled "Bad request": neither said what to send.
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent("{\"capacity\":5}"u8.ToArray()) };
        if (contentType is not null)
        {
            Assert.True(request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType));
        }

        using var response = await _factory.AdminClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Unsupported Media Type", problem.GetProperty("title").GetString());
        var named = problem.GetProperty("errors").GetProperty("Content-Type")[0].GetString()!;
        Assert.True(named.Contains($"Content-Type: {expected}", StringComparison.Ordinal), named);
        Assert.Contains(contentType ?? "Content-Type", named, StringComparison.Ordinal);
        Assert.Equal(named, problem.GetProperty("detail").GetString());
        Assert.Equal(1, (await _factory.AdminClient().GetFromJsonAsync<JsonElement>("/api/cluster")).GetProperty("nodes").GetArrayLength()); // nothing changed
    }

    [Fact]
    public async Task Health_openapi_and_reference_ui_answer()
    {
        var http = _factory.Client();

        using var live = await http.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("Healthy", await live.Content.ReadAsStringAsync());
        Assert.Equal("node-1", Assert.Single(live.Headers.GetValues("X-Served-By"))); // what a seed checks before adding a node
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready")).StatusCode);
        var openApi = await http.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/api/sessions", openApi, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api-reference")).StatusCode);
    }

    [Fact]
    public async Task Metrics_are_scraped_in_prometheus_format()
    {
        var response = await _factory.Client().GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("# TYPE", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
