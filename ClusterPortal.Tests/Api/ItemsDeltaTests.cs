using System.Net;
using System.Text;
using ClusterPortal.Client.Contract;
using ClusterPortal.Metrics;
using ClusterPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static ClusterPortal.Tests.Api.ItemsTestSupport;

namespace ClusterPortal.Tests.Api;

/// <summary>
/// Items as RFC 9842 deltas (docs/deltas.md): <c>Use-As-Dictionary</c> on every 200, <c>Content-Encoding: dcz</c> against
/// the version the client names in <c>Available-Dictionary</c> or its trusted mirror records, and the plain 200 for
/// anything else — never an error, never a wrong body.
/// </summary>
public sealed class ItemsDeltaTests : IDisposable
{
    private const string Key = "weather/station.json";
    private static readonly byte[] s_v1 = Station(21);
    private static readonly byte[] s_v2 = Station(22);
    private readonly TestOrigin _origin = new();
    private readonly PortalFactory _factory;

    public ItemsDeltaTests()
    {
        File.WriteAllBytes(Path.Combine(_origin.Root, "weather", "station.json"), s_v1);
        _factory = new PortalFactory(_origin.Settings());
    }

    public void Dispose()
    {
        _factory.Dispose();
        _origin.Dispose();
    }

    [Fact]
    public async Task Every_200_offers_itself_as_a_dictionary_for_its_own_url_and_stays_revalidated()
    {
        var (http, _) = await _factory.LoggedOnClient("dict-1");

        var response = await http.GetAsync(ItemPath("dict-1", Key));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("match=\"station.json\"", Header(response, "Use-As-Dictionary")); // relative: RFC 9842 resolves it against the request URL
        Assert.Equal("max-age=0, stale-while-revalidate=86400", response.Headers.CacheControl!.ToString());
        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Empty(response.Headers.Vary);
    }

    [Theory]
    [InlineData("weather/station.json", "match=\"station.json\"")]
    [InlineData("a", "match=\"a\"")]
    [InlineData("news/a b+c (1).txt", "match=\"a%20b%2Bc%20%281%29.txt\"")]
    [InlineData("x/{id}.json", "match=\"%7Bid%7D.json\"")]
    public void The_dictionary_match_is_the_last_key_segment_escaped_as_in_the_url(string key, string expected)
    {
        var match = ClusterPortal.Api.ItemRepresentation.DictionaryMatch(ItemKey.Parse(key));

        Assert.Equal(expected, match);
        Assert.EndsWith(ClusterPaths.Item("c", ItemKey.Parse(key)).Split('/')[^1] + "\"", match); // the URL's own spelling
    }

    [Fact]
    public async Task A_client_naming_the_version_it_holds_gets_the_change_as_a_dcz_delta_with_a_weak_etag()
    {
        var (http, _) = await _factory.LoggedOnClient("std-1");
        var first = await http.GetAsync(ItemPath("std-1", Key));
        var oldTag = ETag(first);
        await ChangeAsync(s_v2);

        var response = await http.SendAsync(Get("std-1", Key, ("Accept-Encoding", "gzip, br, zstd, dcb, dcz"),
            ("Available-Dictionary", DictionaryHash.Of(s_v1).ToHeader()), ("If-None-Match", oldTag)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["dcz"], response.Content.Headers.ContentEncoding);
        Assert.Equal("accept-encoding, available-dictionary", string.Join(", ", response.Headers.Vary));
        Assert.Equal("W/" + ItemValidator.ToETag(ItemValidator.Compute(s_v2)), ETag(response));
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(body.Length < s_v2.Length / 20, $"{body.Length} B for {s_v2.Length} B");
        Assert.Equal(s_v2, DczCodec.Decode(body, s_v1, s_v2.Length));
        Assert.Equal((1, (long)s_v2.Length - body.Length), _factory.Services.GetRequiredService<PortalInstruments>().DeltaTotals);

        // The weak tag still matches by weak comparison: the next revalidation is a 304.
        var again = await http.SendAsync(Get("std-1", Key, ("Accept-Encoding", "dcz"), ("If-None-Match", ETag(response))));
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
    }

    /// <summary>A 304 carries the <c>Vary</c> its 200 would (RFC 9110 §15.4.5); before, only the 200 did.</summary>
    [Fact]
    public async Task A_304_still_wins_when_nothing_changed_and_varies_as_its_200_would()
    {
        var (http, _) = await _factory.LoggedOnClient("same-1");
        var first = await http.GetAsync(ItemPath("same-1", Key));

        var response = await http.SendAsync(Get("same-1", Key, ("Accept-Encoding", "dcz"),
            ("Available-Dictionary", DictionaryHash.Of(s_v1).ToHeader()), ("If-None-Match", ETag(first))));

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal("accept-encoding, available-dictionary", string.Join(", ", response.Headers.Vary));
    }

    public static TheoryData<string[], string> NotADictionaryTheHostHolds => new()
    {
        { [":AAAA:"], "too short" },
        { [":" + Convert.ToBase64String(new byte[33]) + ":"], "33 bytes" },
        { ["not base64 at all"], "not a byte sequence" },
        { [":%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%:"], "not base64" },
        { [DictionaryHash.Of("something else"u8).ToHeader()], "a hash of something else" },
        { [DictionaryHash.Of(s_v2).ToHeader()], "the current version itself" },
        { [DictionaryHash.Of(s_v1).ToHeader(), DictionaryHash.Of(s_v1).ToHeader()], "two fields" },
        { [""], "empty" },
    };

    [Theory]
    [MemberData(nameof(NotADictionaryTheHostHolds))]
    public async Task A_forged_or_malformed_available_dictionary_gets_the_plain_200(string[] values, string why)
    {
        var client = "bad-" + Math.Abs(why.GetHashCode(StringComparison.Ordinal));
        var (http, _) = await _factory.LoggedOnClient(client);
        await http.GetAsync(ItemPath(client, Key));
        await ChangeAsync(s_v2);
        var request = Get(client, Key, ("Accept-Encoding", "dcz"));
        foreach (var value in values)
        {
            request.Headers.TryAddWithoutValidation("Available-Dictionary", value);
        }

        var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Equal(s_v2, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(ItemValidator.ToETag(ItemValidator.Compute(s_v2)), ETag(response));
    }

    [Theory]
    [InlineData("gzip, br")]
    [InlineData("dcz;q=0")]
    [InlineData("dcz; q=0.0, gzip")]
    [InlineData("*")]
    public async Task Without_dcz_in_accept_encoding_the_item_is_sent_whole(string acceptEncoding)
    {
        var client = "noenc-" + Math.Abs(acceptEncoding.GetHashCode(StringComparison.Ordinal));
        var (http, _) = await _factory.LoggedOnClient(client);
        await http.GetAsync(ItemPath(client, Key));
        await ChangeAsync(s_v2);

        var response = await http.SendAsync(Get(client, Key, ("Accept-Encoding", acceptEncoding),
            ("Available-Dictionary", DictionaryHash.Of(s_v1).ToHeader())));

        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Equal(s_v2, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_head_is_never_a_delta()
    {
        var (http, _) = await _factory.LoggedOnClient("head-1");
        await http.GetAsync(ItemPath("head-1", Key));
        await ChangeAsync(s_v2);
        var request = Get("head-1", Key, ("Accept-Encoding", "dcz"), ("Available-Dictionary", DictionaryHash.Of(s_v1).ToHeader()));
        request.Method = HttpMethod.Head;

        var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Equal(s_v2.Length, response.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task A_mirror_client_that_accepts_dcz_gets_a_delta_against_the_version_its_mirror_records()
    {
        var (http, _) = await _factory.LoggedOnClient("mir-1");
        var first = await http.SendAsync(Get("mir-1", Key, ("Prefer", "cache-mirror")));
        var sequence = Sequence(first);
        await ChangeAsync(s_v2);

        var response = await http.SendAsync(Get("mir-1", Key, ("Prefer", "cache-mirror"), (SequenceHeader, sequence), ("Accept-Encoding", "dcz")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["dcz"], response.Content.Headers.ContentEncoding);
        Assert.Equal(s_v2, DczCodec.Decode(await response.Content.ReadAsByteArrayAsync(), s_v1, s_v2.Length));
        Assert.NotEqual(sequence, Sequence(response));

        // The mirror recorded the new version: the next request is a mirror 304.
        var again = await http.SendAsync(Get("mir-1", Key, ("Prefer", "cache-mirror"), (SequenceHeader, Sequence(response)), ("Accept-Encoding", "dcz")));
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
    }

    [Fact]
    public async Task A_mirror_client_whose_sequence_the_mirror_does_not_trust_gets_the_plain_200()
    {
        var (http, _) = await _factory.LoggedOnClient("mir-2");
        var first = await http.SendAsync(Get("mir-2", Key, ("Prefer", "cache-mirror")));
        await ChangeAsync(s_v2);

        var response = await http.SendAsync(Get("mir-2", Key, ("Prefer", "cache-mirror"), (SequenceHeader, "00000001" + Sequence(first)[8..]),
            ("Accept-Encoding", "dcz")));

        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Equal(s_v2, await response.Content.ReadAsByteArrayAsync());
    }

    private async Task ChangeAsync(byte[] content)
    {
        using var admin = _factory.AdminClient();
        var put = await admin.PutAsync("/api/items/" + Key, new ByteArrayContent(content));
        put.EnsureSuccessStatusCode();
    }

    /// <summary>A JSON item of about 4 KiB in which one field (<c>temperature</c>) changes.</summary>
    private static byte[] Station(int temperature)
    {
        var text = new StringBuilder($"{{\"station\":\"tempelhof\",\"temperature\":{temperature},\"readings\":[");
        var random = new Random(7);
        for (var i = 0; i < 90; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{{\"at\":\"2026-12-03T{i / 60:D2}:{i % 60:D2}Z\",\"v\":{random.Next(-200, 400) / 10.0:0.0}}}");
            text.Append(i < 89 ? "," : "]}");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
