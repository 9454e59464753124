using System.Net;
using ClusterEngine.Origin;
using ClusterPortal.Client.Contract;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Origin;

public sealed class HttpOriginTests : IDisposable
{
    private readonly FakeOriginHandler _server = new();
    private readonly HttpClient _client;
    private readonly HttpOrigin _origin;

    public HttpOriginTests()
    {
        _client = new HttpClient(_server);
        _origin = new HttpOrigin(_client, Options.Create(new OriginOptions { Kind = OriginKind.Http, BaseUrl = new Uri("http://origin.test/api") }), new FakeTimeProvider());
    }

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task Fig10_step1020_item_is_fetched_under_the_base_url_with_its_validator()
    {
        _server.Set("/api/weather/today.json", """{"temp":21}""", "\"v1\"");

        var item = await _origin.GetAsync(ItemKey.Parse("weather/today.json"), null, default);

        Assert.NotNull(item);
        Assert.Equal("application/json", item.ContentType);
        Assert.Equal("\"v1\"", item.OriginETag);
        Assert.Equal(11, item.Length);
        Assert.Equal(0, _server.ConditionalRequests);
    }

    [Fact]
    public async Task Revalidation_sends_if_none_match_and_a_304_keeps_the_held_instance()
    {
        _server.Set("/api/a.json", "{}", "\"v1\"");
        var held = await _origin.GetAsync(ItemKey.Parse("a.json"), null, default);

        var again = await _origin.GetAsync(ItemKey.Parse("a.json"), held, default);

        Assert.Same(held, again);
        Assert.Equal(1, _server.ConditionalRequests);
        Assert.Equal("\"v1\"", _server.Requests[^1].Headers.IfNoneMatch.Single().Tag);
    }

    [Fact]
    public async Task A_changed_upstream_item_replaces_the_held_one()
    {
        _server.Set("/api/a.json", "{}", "\"v1\"");
        var held = await _origin.GetAsync(ItemKey.Parse("a.json"), null, default);
        _server.Set("/api/a.json", """{"x":1}""", "\"v2\"");

        var fresh = await _origin.GetAsync(ItemKey.Parse("a.json"), held, default);

        Assert.NotSame(held, fresh);
        Assert.NotEqual(held!.Validator, fresh!.Validator);
    }

    [Fact]
    public async Task Without_an_upstream_etag_revalidation_uses_if_modified_since()
    {
        _server.Set("/api/plain.txt", "hello", etag: null, contentType: null);
        var held = await _origin.GetAsync(ItemKey.Parse("plain.txt"), null, default);

        var again = await _origin.GetAsync(ItemKey.Parse("plain.txt"), held, default);

        Assert.Same(held, again);
        Assert.NotNull(_server.Requests[^1].Headers.IfModifiedSince);
        Assert.Equal("text/plain", held!.ContentType); // from the extension when the origin sends none
        Assert.Equal("\"81b69dda2f09a3e5\"", held.ETag);
    }

    [Fact]
    public async Task Segments_are_percent_encoded_so_a_key_cannot_reshape_the_url()
    {
        _server.Set("/api/routes/line%207.json", "[]", "\"r\"");

        Assert.NotNull(await _origin.GetAsync(ItemKey.Parse("routes/line 7.json"), null, default));
        Assert.Equal("/api/routes/line%207.json", _server.Requests[^1].RequestUri!.AbsolutePath);
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.Gone)]
    public async Task Not_found_upstream_is_no_item(HttpStatusCode status)
    {
        _server.ForcedStatus = status;

        Assert.Null(await _origin.GetAsync(ItemKey.Parse("a.json"), null, default));
    }

    [Fact]
    public async Task Upstream_errors_are_thrown_not_reported_as_missing()
    {
        _server.ForcedStatus = HttpStatusCode.BadGateway;

        await Assert.ThrowsAsync<HttpRequestException>(() => _origin.GetAsync(ItemKey.Parse("a.json"), null, default).AsTask());
    }

    [Fact]
    public async Task An_http_origin_lists_nothing()
    {
        Assert.Empty(await _origin.ListAsync(default));
    }
}
