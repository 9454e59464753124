using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Api;

/// <summary>PUT/DELETE /api/items/{key}: the operator changes the file-system origin (docs/architecture.md §6).</summary>
public sealed class OriginItemsApiTests : IDisposable
{
    private readonly TestOrigin _origin = new();
    private readonly PortalFactory _factory;

    public OriginItemsApiTests() => _factory = new PortalFactory(_origin.Settings());

    public void Dispose()
    {
        _factory.Dispose();
        _origin.Dispose();
    }

    [Fact]
    public async Task Writes_need_the_admin_key_401_anonymous_and_with_a_wrong_key()
    {
        var wrong = _factory.Client();
        wrong.DefaultRequestHeaders.Add("X-Admin-Key", "not-the-admin-key-at-all");

        var anonymous = await _factory.Client().PutAsync("/api/items/new.txt", new StringContent("x"));
        var badKey = await wrong.DeleteAsync("/api/items/hello.txt");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, badKey.StatusCode);
        Assert.False(File.Exists(Path.Combine(_origin.Root, "new.txt")));
        Assert.True(File.Exists(Path.Combine(_origin.Root, "hello.txt")));
    }

    [Fact]
    public async Task Put_creates_201_then_replaces_200_delete_204_then_404()
    {
        var admin = _factory.AdminClient();
        var (client, _) = await _factory.LoggedOnClient("pub-1");

        var created = await admin.PutAsync("/api/items/news/new/item.txt", new StringContent("hello"));
        var replaced = await admin.PutAsync("/api/items/news/new/item.txt", new StringContent("hello, world"));
        var served = await client.GetStringAsync("/api/clients/pub-1/items/news/new/item.txt");
        var deleted = await admin.DeleteAsync("/api/items/news/new/item.txt");
        var again = await admin.DeleteAsync("/api/items/news/new/item.txt");
        var gone = await client.GetAsync("/api/clients/pub-1/items/news/new/item.txt");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("news/new/item.txt", body.GetProperty("key").GetString());
        Assert.Equal("\"81b69dda2f09a3e5\"", body.GetProperty("etag").GetString());
        Assert.Equal(5, body.GetProperty("size").GetInt64());
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Equal(12, (await replaced.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("size").GetInt64());
        Assert.Equal("hello, world", served);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Theory]
    [InlineData("a*b")]
    [InlineData("x%3Ay")]
    [InlineData("bad%25key")]
    public async Task Invalid_keys_are_a_400_naming_key(string key)
    {
        var response = await _factory.AdminClient().PutAsync("/api/items/" + key, new StringContent("x"));

        await SessionsApiTests.AssertFieldProblem(response, "key");
    }

    [Fact]
    public async Task Body_over_the_limit_is_a_413_problem_and_nothing_is_written()
    {
        using var factory = new PortalFactory(_origin.Settings(new() { ["Portal:MaxRequestBodyBytes"] = "1024" }));

        var response = await factory.AdminClient().PutAsync("/api/items/big.bin", new ByteArrayContent(new byte[4096]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("https://tools.ietf.org/html/rfc9110#section-15.5.14", (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("type").GetString());
        Assert.False(File.Exists(Path.Combine(_origin.Root, "big.bin")));
    }

    [Fact]
    public async Task With_the_http_origin_writes_are_a_409_read_only_problem()
    {
        using var factory = new PortalFactory(new() { ["Origin:Kind"] = "Http", ["Origin:BaseUrl"] = "http://127.0.0.1:9/" });

        var response = await factory.AdminClient().PutAsync("/api/items/hello.txt", new StringContent("x"));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("read-only", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
