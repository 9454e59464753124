using System.Net;
using ClusterPortal.Metrics;
using ClusterPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static ClusterPortal.Tests.Api.ItemsTestSupport;

namespace ClusterPortal.Tests.Api;

/// <summary>GET/HEAD items with RFC 9110 §13 conditional requests (patent Fig. 10; docs/architecture.md §5, §8).</summary>
public sealed class ItemsConditionalTests : IDisposable
{
    private const string HelloTag = "\"81b69dda2f09a3e5\"";
    private readonly TestOrigin _origin = new();
    private readonly PortalFactory _factory;

    public ItemsConditionalTests() => _factory = new PortalFactory(_origin.Settings());

    public void Dispose()
    {
        _factory.Dispose();
        _origin.Dispose();
    }

    [Fact]
    public async Task Crc64_test_vector_is_the_etag_of_hello_end_to_end()
    {
        var (http, _) = await _factory.LoggedOnClient("crc-1");

        var response = await http.GetAsync(ItemPath("crc-1", "hello.txt"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HelloTag, ETag(response));
        Assert.Equal("hello", await response.Content.ReadAsStringAsync());
        Assert.Equal("node-1", Header(response, "X-Served-By"));
        Assert.False(response.Headers.Contains(SequenceHeader), "no mirror sequence for a client that does not use the mirror");
    }

    [Theory]
    [InlineData(HelloTag, HttpStatusCode.NotModified)]
    [InlineData("W/" + HelloTag, HttpStatusCode.NotModified)]
    [InlineData("\"0000000000000000\", " + HelloTag, HttpStatusCode.NotModified)]
    [InlineData("*", HttpStatusCode.NotModified)]
    [InlineData("\"0000000000000000\"", HttpStatusCode.OK)]
    [InlineData("garbage-without-quotes", HttpStatusCode.OK)]
    public async Task If_none_match_uses_weak_comparison_lists_and_star(string ifNoneMatch, HttpStatusCode expected)
    {
        var (http, _) = await _factory.LoggedOnClient("inm-1");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(ItemPath("inm-1", "hello.txt"))).StatusCode);

        var response = await http.SendAsync(Get("inm-1", "hello.txt", ("If-None-Match", ifNoneMatch)));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(HelloTag, ETag(response));
    }

    /// <summary>
    /// Never a wrong 304 from a date: a device fetched an item and sends its <c>Last-Modified</c> back after the item
    /// was written again within the same second (here: a new version whose file carries the old time, as a second
    /// write in that second or a restore would). Before, <c>If-Modified-Since</c> gave a 304 and the device kept the
    /// old bytes; now a date never gives a 304 and the new version is sent.
    /// </summary>
    [Fact]
    public async Task If_modified_since_never_gives_a_304_so_a_second_version_in_the_same_second_is_sent()
    {
        var (http, _) = await _factory.LoggedOnClient("ims-1");
        Assert.Equal(HttpStatusCode.Created, (await _factory.AdminClient().PutAsync("/api/items/weather/ims.json", new StringContent("""{"v":0}"""))).StatusCode);
        var first = await http.GetAsync(ItemPath("ims-1", "weather/ims.json"));
        var held = first.Content.Headers.LastModified!.Value;
        Assert.Equal(HttpStatusCode.OK, (await _factory.AdminClient().PutAsync("/api/items/weather/ims.json", new StringContent("""{"v":1}"""))).StatusCode);
        File.SetLastWriteTimeUtc(Path.Combine(_origin.Root, "weather", "ims.json"), held.UtcDateTime);
        await Eventually.True(async () =>
        {
            using var plain = await http.GetAsync(ItemPath("ims-1", "weather/ims.json"));
            return plain.Content.Headers.LastModified == held && await plain.Content.ReadAsStringAsync() == """{"v":1}""";
        }, $"the new version served with the held Last-Modified {held:R}");

        var since = await http.SendAsync(Get("ims-1", "weather/ims.json", ("If-Modified-Since", held.ToString("R"))));
        var future = await http.SendAsync(Get("ims-1", "weather/ims.json", ("If-Modified-Since", DateTimeOffset.UtcNow.AddDays(1).ToString("R"))));
        var tagged = await http.SendAsync(Get("ims-1", "weather/ims.json", ("If-Modified-Since", held.ToString("R")), ("If-None-Match", ETag(since))));

        Assert.Equal((HttpStatusCode.OK, """{"v":1}"""), (since.StatusCode, await since.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.OK, future.StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, tagged.StatusCode); // the tag names the version; the date is not read
    }

    /// <summary>
    /// One <c>Last-Modified</c> per version, never later than the answer's <c>Date</c>: a fresh version's answer carries
    /// its own <c>Date</c> (Kestrel's may lag the clock by a second); a time from a clock ahead is replaced by the
    /// answer's date (RFC 9110 §8.8.2.1); an older version leaves <c>Date</c> to Kestrel. Before, a fresh version was
    /// shown one second early and later with its real time (found by attack).
    /// </summary>
    [Fact]
    public void Last_modified_is_one_value_per_version_and_a_fresh_version_brings_its_own_date()
    {
        var now = new DateTimeOffset(2026, 12, 4, 12, 0, 10, 300, TimeSpan.Zero);

        var fresh = ClusterPortal.Api.ItemRepresentation.Dates(now.AddMilliseconds(-200), now);
        var later = ClusterPortal.Api.ItemRepresentation.Dates(now.AddMilliseconds(-200), now.AddSeconds(5));
        var ahead = ClusterPortal.Api.ItemRepresentation.Dates(now.AddMinutes(3), now);

        Assert.Equal(("Fri, 04 Dec 2026 12:00:10 GMT", "Fri, 04 Dec 2026 12:00:10 GMT"), fresh);
        Assert.Equal(("Fri, 04 Dec 2026 12:00:10 GMT", (string?)null), later);
        Assert.Equal(("Fri, 04 Dec 2026 12:00:10 GMT", "Fri, 04 Dec 2026 12:00:10 GMT"), ahead);
    }

    /// <summary>RFC 9110 §8.8.2.1: <c>Last-Modified</c> is never later than the answer's <c>Date</c>, even when the origin's clock is ahead.</summary>
    [Fact]
    public async Task Last_modified_is_never_later_than_the_date_of_the_answer()
    {
        var (http, _) = await _factory.LoggedOnClient("lm-1");
        File.SetLastWriteTimeUtc(Path.Combine(_origin.Root, "weather", "city-3.json"), DateTime.UtcNow.AddHours(1));

        using var response = await http.GetAsync(ItemPath("lm-1", "weather/city-3.json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Content.Headers.LastModified <= response.Headers.Date,
            $"Last-Modified {response.Content.Headers.LastModified:R} is later than Date {response.Headers.Date:R}");
    }

    [Fact]
    public async Task Head_has_the_get_headers_and_content_length_but_no_body()
    {
        var (http, _) = await _factory.LoggedOnClient("head-1");

        var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, ItemPath("head-1", "a/b/c.txt")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, response.Content.Headers.ContentLength);
        Assert.NotNull(response.Headers.ETag);
        Assert.NotNull(response.Content.Headers.LastModified);
        Assert.Equal("node-1", Header(response, "X-Served-By"));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Not_modified_carries_date_etag_cache_control_and_served_by_but_not_last_modified_and_no_body()
    {
        var (http, _) = await _factory.LoggedOnClient("shape-1");
        var first = await http.GetAsync(ItemPath("shape-1", "hello.txt"));
        Assert.NotNull(first.Content.Headers.LastModified);

        var response = await http.SendAsync(Get("shape-1", "hello.txt", ("If-None-Match", HelloTag)));

        // RFC 9110 §15.4.5: the fields a 200 would carry among Cache-Control, Content-Location, Date, ETag, Expires
        // and Vary; other representation metadata SHOULD NOT be sent when an ETag is present (Last-Modified).
        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal(HelloTag, ETag(response));
        Assert.NotNull(response.Headers.Date);
        Assert.Null(response.Content.Headers.LastModified);
        Assert.Equal("max-age=0, stale-while-revalidate=86400", response.Headers.CacheControl!.ToString());
        Assert.Equal("node-1", Header(response, "X-Served-By"));
        Assert.False(response.Headers.Contains(SequenceHeader));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_client_that_uses_the_mirror_gets_its_sequence_on_200_and_304()
    {
        var (http, _) = await _factory.LoggedOnClient("shape-2");
        var first = await http.SendAsync(Get("shape-2", "hello.txt", ("Prefer", "cache-mirror")));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Matches("^[0-9a-f]{16}$", Sequence(first));

        var response = await http.SendAsync(Get("shape-2", "hello.txt", ("If-None-Match", HelloTag), (SequenceHeader, Sequence(first))));

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Matches("^[0-9a-f]{16}$", Sequence(response));
    }

    [Fact]
    public async Task Items_need_the_clients_own_token_401_without_403_with_another()
    {
        await _factory.LoggedOnClient("owner-1");
        var (other, _) = await _factory.LoggedOnClient("other-1");

        Assert.Equal(HttpStatusCode.Unauthorized, (await _factory.Client().GetAsync(ItemPath("owner-1", "hello.txt"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync(ItemPath("owner-1", "hello.txt"))).StatusCode);
    }

    [Fact]
    public async Task Missing_item_is_a_404_problem()
    {
        var (http, _) = await _factory.LoggedOnClient("missing-1");

        var response = await http.GetAsync(ItemPath("missing-1", "no/such/item.json"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Counters_show_bytes_sent_and_saved_and_metrics_are_exported()
    {
        var (http, _) = await _factory.LoggedOnClient("count-1");
        var metrics = _factory.Services.GetRequiredService<PortalInstruments>();
        var before = metrics.Totals;

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(ItemPath("count-1", "hello.txt"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, (await http.SendAsync(Get("count-1", "hello.txt", ("If-None-Match", HelloTag)))).StatusCode);

        var after = metrics.Totals;
        Assert.Equal(2, after.Requests - before.Requests);
        Assert.Equal(1, after.Full - before.Full);
        Assert.Equal(1, after.NotModified - before.NotModified);
        Assert.Equal(5, after.BytesSent - before.BytesSent);
        Assert.Equal(5, after.BytesSaved - before.BytesSaved);
        Assert.Contains("clusterportal_item", await _factory.Client().GetStringAsync("/metrics"), StringComparison.Ordinal);
    }
}
