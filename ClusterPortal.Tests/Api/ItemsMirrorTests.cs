using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ClusterPortal.Tests.Support;
using static ClusterPortal.Tests.Api.ItemsTestSupport;

namespace ClusterPortal.Tests.Api;

/// <summary>
/// <c>Prefer: cache-mirror</c> with the echoed <c>X-Mirror-Sequence</c> (patent Fig. 9; docs/architecture.md §8 "never a wrong 304"),
/// <c>DELETE /api/clients/{id}/mirror</c>, and items changed at the origin.
/// </summary>
public sealed class ItemsMirrorTests : IDisposable
{
    private readonly TestOrigin _origin = new();
    private readonly PortalFactory _factory;

    public ItemsMirrorTests() => _factory = new PortalFactory(_origin.Settings());

    public void Dispose()
    {
        _factory.Dispose();
        _origin.Dispose();
    }

    private static HttpRequestMessage MirrorGet(string clientId, string key, string? echo) =>
        echo is null
            ? Get(clientId, key, ("Prefer", "cache-mirror"))
            : Get(clientId, key, ("Prefer", "cache-mirror"), (SequenceHeader, echo));

    [Fact]
    public async Task Fig9_mirror_decides_with_the_echoed_sequence_and_says_so()
    {
        var (http, _) = await _factory.LoggedOnClient("m-1");
        var first = await http.SendAsync(MirrorGet("m-1", "hello.txt", null)); // a client that uses the mirror says so from its first request

        var withEcho = await http.SendAsync(MirrorGet("m-1", "hello.txt", Sequence(first)));
        var withoutEcho = await http.SendAsync(MirrorGet("m-1", "hello.txt", null));

        Assert.Equal(HttpStatusCode.NotModified, withEcho.StatusCode);
        Assert.Equal("cache-mirror", Header(withEcho, "Preference-Applied"));
        Assert.Equal(Sequence(first), Sequence(withEcho));
        Assert.Equal(HttpStatusCode.OK, withoutEcho.StatusCode);
        Assert.Equal("hello", await withoutEcho.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Lost_200_an_older_echo_never_gets_a_mirror_304_for_the_item_sent_after_it()
    {
        var (http, _) = await _factory.LoggedOnClient("lost-1");
        var a = await http.SendAsync(MirrorGet("lost-1", "hello.txt", null)); // a client that uses the mirror says so from its first request
        var held = Sequence(a);
        var lost = await http.SendAsync(Get("lost-1", "a/b/c.txt", (SequenceHeader, held))); // answer never reaches the client
        Assert.Equal(HttpStatusCode.OK, lost.StatusCode);

        var retry = await http.SendAsync(MirrorGet("lost-1", "a/b/c.txt", held));

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal("abc", await retry.Content.ReadAsStringAsync());
        var adopted = await http.SendAsync(MirrorGet("lost-1", "a/b/c.txt", Sequence(retry)));
        Assert.Equal(HttpStatusCode.NotModified, adopted.StatusCode);
    }

    [Fact]
    public async Task After_the_client_cleared_its_cache_a_mirror_request_gets_200()
    {
        var (http, _) = await _factory.LoggedOnClient("clear-1");
        var first = await http.SendAsync(MirrorGet("clear-1", "hello.txt", null)); // a client that uses the mirror says so from its first request
        Assert.Equal(HttpStatusCode.NotModified, (await http.SendAsync(MirrorGet("clear-1", "hello.txt", Sequence(first)))).StatusCode);

        var cleared = await http.DeleteAsync("/api/clients/clear-1/mirror");

        Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        var sequence = Sequence(cleared);
        Assert.Matches("^[0-9a-f]{16}$", sequence);
        Assert.NotEqual(Sequence(first), sequence);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(MirrorGet("clear-1", "hello.txt", sequence))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(MirrorGet("clear-1", "a/b/c.txt", Sequence(first)))).StatusCode);
    }

    [Fact]
    public async Task Clearing_the_mirror_needs_the_clients_own_token()
    {
        await _factory.LoggedOnClient("clear-owner");
        var (other, _) = await _factory.LoggedOnClient("clear-other");

        Assert.Equal(HttpStatusCode.Unauthorized, (await _factory.Client().DeleteAsync("/api/clients/clear-owner/mirror")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.DeleteAsync("/api/clients/clear-owner/mirror")).StatusCode);
    }

    [Fact]
    public async Task Item_changed_at_the_origin_by_the_operator_is_sent_again_with_its_new_etag()
    {
        var (http, _) = await _factory.LoggedOnClient("change-1");
        var first = await http.SendAsync(MirrorGet("change-1", "weather/city-1.json", null)); // a client that uses the mirror says so from its first request
        var oldTag = ETag(first);

        var put = await _factory.AdminClient().PutAsync("/api/items/weather/city-1.json", new StringContent("""{"city":1,"temp":-40}"""));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var newTag = (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("etag").GetString();

        var conditional = await http.SendAsync(Get("change-1", "weather/city-1.json", ("If-None-Match", oldTag)));
        Assert.Equal(HttpStatusCode.OK, conditional.StatusCode);
        Assert.Equal(newTag, ETag(conditional));
        Assert.NotEqual(oldTag, newTag);
        Assert.Contains("-40", await conditional.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var mirror = await http.SendAsync(MirrorGet("change-1", "weather/city-1.json", Sequence(first)));
        Assert.Equal(HttpStatusCode.OK, mirror.StatusCode);
    }

    /// <summary>
    /// Answers that do not show what the client holds leave the mirror alone and carry no sequence: a HEAD (no bytes
    /// travel) or a 304 on <c>If-None-Match: *</c> (no version named). Before, each recorded the current version as
    /// held, and a later mirror 304 vouched for bytes the client never received.
    /// </summary>
    [Theory]
    [InlineData("HEAD")]
    [InlineData("If-None-Match: *")]
    public async Task An_answer_that_shows_nothing_held_never_makes_the_mirror_vouch_for_the_new_version(string probe)
    {
        var (http, _) = await _factory.LoggedOnClient("probe-1");
        var held = await http.SendAsync(MirrorGet("probe-1", "weather/city-2.json", null));
        var heldTag = ETag(held);
        var put = await _factory.AdminClient().PutAsync("/api/items/weather/city-2.json", new StringContent("""{"city":2,"temp":99}"""));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        using var request = probe switch
        {
            "HEAD" => new HttpRequestMessage(HttpMethod.Head, ItemPath("probe-1", "weather/city-2.json")),
            _ => Get("probe-1", "weather/city-2.json", ("If-None-Match", "*")),
        };
        request.Headers.TryAddWithoutValidation(SequenceHeader, Sequence(held));
        var answer = await http.SendAsync(request);

        // The device still holds the old version; it adopts the answer's sequence if there is one (it echoed its last).
        var adopted = answer.Headers.Contains(SequenceHeader) ? Sequence(answer) : Sequence(held);
        var next = await http.SendAsync(MirrorGet("probe-1", "weather/city-2.json", adopted));
        Assert.True(next.StatusCode == HttpStatusCode.OK,
            $"after {probe} ({(int)answer.StatusCode}) the mirror answered {(int)next.StatusCode} for {ETag(next)}; the device holds {heldTag}");
        Assert.NotEqual(heldTag, ETag(next));
        Assert.False(answer.Headers.Contains(SequenceHeader), $"{probe} answered {(int)answer.StatusCode} with a sequence to adopt");
    }
}
