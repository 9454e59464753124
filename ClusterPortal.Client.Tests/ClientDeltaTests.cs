using System.Net;
using System.Text;
using ClusterPortal.Client.Contract;
using ClusterPortal.Client.Tests.Contract;

namespace ClusterPortal.Client.Tests;

/// <summary>
/// The SDK's side of RFC 9842 (docs/deltas.md): it offers its cached copy as a dictionary, decodes a <c>dcz</c> answer,
/// counts delta savings apart from 304 savings, and falls back to one plain GET when a delta cannot be decoded to the
/// tagged bytes (a node that lied, or a delta against another version).
/// </summary>
public sealed class ClientDeltaTests
{
    private static readonly byte[] s_v1 = DeltaContractTests.Item(3, "\"temperature\": 21");
    private static readonly byte[] s_v2 = DeltaContractTests.Item(3, "\"temperature\": 22");

    private static StubCluster Stub()
    {
        var stub = new StubCluster();
        stub.Put("w.json", Encoding.UTF8.GetString(s_v1));
        return stub;
    }

    private static HttpResponseMessage DczAnswer(byte[] dictionary, byte[] content)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(DczCodec.Encode(dictionary, DictionaryHash.Of(dictionary), content)) };
        response.Content.Headers.ContentEncoding.Add("dcz");
        response.Headers.TryAddWithoutValidation("ETag", "W/" + ItemValidator.ToETag(ItemValidator.Compute(content)));
        return response;
    }

    [Fact]
    public async Task The_cached_copy_is_offered_as_a_dictionary_and_a_dcz_answer_is_decoded_and_counted_apart()
    {
        var stub = Stub();
        await using var client = StubCluster.Client(stub);
        await client.LogOnAsync();
        await client.GetItemAsync("w.json");
        Assert.False(stub.Requests[^1].Headers.ContainsKey("Available-Dictionary"), "nothing to offer before the first copy");

        stub.Override = _ => DczAnswer(s_v1, s_v2);
        var item = await client.GetItemAsync("w.json");

        var sent = stub.Requests[^1].Headers;
        Assert.Equal("dcz", sent["Accept-Encoding"]);
        Assert.Equal(DictionaryHash.Of(s_v1).ToHeader(), sent["Available-Dictionary"]);
        Assert.Equal(s_v2, item!.Content.ToArray());
        Assert.False(item.FromCache);
        var stats = client.Statistics;
        Assert.Equal(1, stats.Deltas);
        Assert.True(stats.BytesSavedByDeltas > s_v2.Length * 0.9, $"{stats.BytesSavedByDeltas} saved of {s_v2.Length}");
        Assert.Equal(0, stats.BytesSaved);

        // The decoded version is the new cached copy: it is what the next request offers and revalidates.
        stub.Override = null;
        stub.Put("w.json", Encoding.UTF8.GetString(s_v2));
        Assert.True((await client.GetItemAsync("w.json"))!.FromCache);
        Assert.Equal(DictionaryHash.Of(s_v2).ToHeader(), stub.Requests[^1].Headers["Available-Dictionary"]);
    }

    [Theory]
    [InlineData("another dictionary")]
    [InlineData("a wrong tag")]
    [InlineData("not dcz at all")]
    public async Task A_delta_that_does_not_decode_to_the_tagged_bytes_falls_back_to_one_plain_get(string lie)
    {
        var stub = Stub();
        await using var client = StubCluster.Client(stub);
        await client.LogOnAsync();
        await client.GetItemAsync("w.json");
        stub.Put("w.json", Encoding.UTF8.GetString(s_v2));
        stub.Override = request =>
        {
            if (!request.Headers.Contains("Available-Dictionary"))
            {
                return null; // the plain GET: the stub's normal answer
            }

            var answer = DczAnswer(lie == "another dictionary" ? s_v2 : s_v1, s_v2);
            if (lie == "a wrong tag")
            {
                answer.Headers.Remove("ETag");
                answer.Headers.TryAddWithoutValidation("ETag", "W/\"0000000000000001\"");
            }
            else if (lie == "not dcz at all")
            {
                answer.Content = new ByteArrayContent(Encoding.UTF8.GetBytes("garbage"));
                answer.Content.Headers.ContentEncoding.Add("dcz");
            }

            return answer;
        };

        var item = await client.GetItemAsync("w.json");

        Assert.Equal(s_v2, item!.Content.ToArray());
        var plain = stub.Requests[^1].Headers;
        Assert.False(plain.ContainsKey("Available-Dictionary"));
        Assert.False(plain.ContainsKey("If-None-Match"));
        Assert.False(plain.ContainsKey("Accept-Encoding"));
        Assert.Equal(0, client.Statistics.Deltas);
    }

    [Fact]
    public async Task Without_deltas_the_client_offers_no_dictionary()
    {
        var stub = Stub();
        await using var client = StubCluster.Client(stub, o => o.UseDeltas = false);
        await client.LogOnAsync();
        await client.GetItemAsync("w.json");
        await client.GetItemAsync("w.json");

        Assert.False(stub.Requests[^1].Headers.ContainsKey("Accept-Encoding"));
        Assert.False(stub.Requests[^1].Headers.ContainsKey("Available-Dictionary"));
    }

    [Fact]
    public async Task With_an_http2_port_requests_go_to_that_port_over_http2()
    {
        var versions = new List<Version>();
        var stub = Stub();
        stub.SessionOverride = request =>
        {
            versions.Add(request.Version);
            return null;
        };
        await using var client = StubCluster.Client(stub, o => o.Http2Port = 8443);
        await client.LogOnAsync();
        await client.GetItemAsync("w.json");

        Assert.All(stub.Requests, r => Assert.Equal(8443, r.Uri.Port));
        Assert.Equal([HttpVersion.Version20], versions.Distinct());
        Assert.Throws<ArgumentException>(() => StubCluster.Client(stub, o => o.Http2Port = 70000));
    }
}
