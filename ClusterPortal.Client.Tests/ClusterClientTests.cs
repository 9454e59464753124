using System.Net;
using System.Text;
using ClusterPortal.Client.Contract;
using Microsoft.Extensions.Time.Testing;

namespace ClusterPortal.Client.Tests;

/// <summary>The client SDK in isolation, against <see cref="StubCluster"/> (no real nodes).</summary>
public sealed class ClusterClientTests
{
    [Fact]
    public async Task Logon_goes_to_the_shared_address_and_items_then_go_to_the_primary_directly()
    {
        using var stub = new StubCluster();
        stub.Put("hello.txt", "hello");
        await using var client = StubCluster.Client(stub);

        var session = await client.LogOnAsync();
        var item = await client.GetItemAsync("hello.txt");

        Assert.Equal("n1", session.Primary.NodeId);
        Assert.Equal("http://n3/api/sessions", stub.Requests[0].Uri.ToString());
        Assert.Equal("http://n1/api/clients/device-1/items/hello.txt", stub.Requests[1].Uri.ToString());
        Assert.Equal("Bearer token-1", stub.Requests[1].Headers["Authorization"]);
        Assert.Equal("hello"u8.ToArray(), item!.Content.ToArray());
        Assert.Equal("\"81b69dda2f09a3e5\"", item.ETag);
    }

    [Fact]
    public async Task A_cached_item_is_revalidated_with_its_CRC64_and_a_304_returns_the_cached_copy()
    {
        using var stub = new StubCluster();
        stub.Put("a/b.txt", "hello");
        await using var client = StubCluster.Client(stub);
        await client.LogOnAsync();

        var first = await client.GetItemAsync("a/b.txt");
        var second = await client.GetItemAsync("a/b.txt");

        Assert.False(first!.FromCache);
        Assert.True(second!.FromCache);
        Assert.Equal("hello"u8.ToArray(), second.Content.ToArray());
        Assert.False(stub.Requests[1].Headers.ContainsKey("If-None-Match"));
        Assert.Equal("\"81b69dda2f09a3e5\"", stub.Requests[2].Headers["If-None-Match"]);
        var stats = client.Statistics;
        Assert.Equal((2, 1, 5, 5), (stats.Requests, stats.NotModified, stats.BytesReceived, stats.BytesSaved));
    }

    [Fact]
    public async Task Key_segments_are_escaped_one_by_one_and_bad_keys_are_refused_before_sending()
    {
        using var stub = new StubCluster();
        stub.Put("news/a b+c.txt", "x");
        await using var client = StubCluster.Client(stub);
        await client.LogOnAsync();

        await client.GetItemAsync("news/a b+c.txt");

        Assert.EndsWith("/items/news/a%20b%2Bc.txt", stub.Requests[^1].Uri.OriginalString, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetItemAsync("a/../secret"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetItemAsync("/etc/passwd"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetItemAsync("a%2fb"));
    }

    [Fact]
    public async Task An_unreachable_primary_fails_over_to_the_alternate_then_to_the_shared_address()
    {
        using var stub = new StubCluster();
        stub.Put("hello.txt", "hello");
        await using var client = StubCluster.Client(stub);
        await client.LogOnAsync();
        stub.Down.Add("http://n1");

        var viaAlternate = await client.GetItemAsync("hello.txt");
        stub.Down.Add("http://n2");
        var viaShared = await client.GetItemAsync("hello.txt");

        Assert.Equal("n2", viaAlternate!.ServedBy);
        Assert.Equal("n3", viaShared!.ServedBy);
        Assert.True(client.Statistics.Failovers >= 2);
        Assert.Equal(0, client.Statistics.Errors);
    }

    [Fact]
    public async Task No_reachable_node_ends_in_a_ClusterClientException_after_the_retries()
    {
        using var stub = new StubCluster();
        await using var client = StubCluster.Client(stub, o => o.MaxRetryAttempts = 3);
        await client.LogOnAsync();
        stub.Down.UnionWith(["http://n1", "http://n2", "http://n3"]);
        var before = stub.Requests.Count;

        var error = await Assert.ThrowsAsync<ClusterClientException>(() => client.GetItemAsync("hello.txt"));

        Assert.Null(error.StatusCode);
        Assert.Equal(4, stub.Requests.Count - before);
        Assert.Equal(1, client.Statistics.Errors);
    }

    [Fact]
    public async Task A_token_near_expiry_is_renewed_before_the_next_call()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-30T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        using var stub = new StubCluster { Time = time, TokenLifetime = TimeSpan.FromMinutes(10) };
        stub.Put("hello.txt", "hello");
        await using var client = StubCluster.Client(stub, o => o.RenewWhenRemaining = 0.2);
        await client.LogOnAsync();

        time.Advance(TimeSpan.FromMinutes(7));
        await client.GetItemAsync("hello.txt");
        Assert.Equal("token-1", client.Session!.Token);

        time.Advance(TimeSpan.FromMinutes(1.5));
        await client.GetItemAsync("hello.txt");

        Assert.Equal("token-2", client.Session!.Token);
        Assert.Equal("Bearer token-2", stub.Requests[^1].Headers["Authorization"]);
        Assert.Equal("Bearer token-1", stub.Requests[^2].Headers["Authorization"]); // the renewal carries the current token
        Assert.Equal(1, client.Statistics.TokenRenewals);
    }

    [Fact]
    public async Task Mirror_mode_sends_Prefer_and_echoes_the_sequence_only_for_copies_the_mirror_is_known_to_hold()
    {
        using var stub = new StubCluster();
        stub.Put("hello.txt", "hello");
        var sequence = 0x1234_0000_0000_0001UL;
        stub.Override = request =>
        {
            var prefer = request.Headers.TryGetValues("Prefer", out var p) && p.Contains("cache-mirror");
            var response = prefer ? new HttpResponseMessage(HttpStatusCode.NotModified) { Content = new ByteArrayContent([]) }
                : new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent("hello"u8.ToArray()) };
            response.Headers.TryAddWithoutValidation("ETag", "\"81b69dda2f09a3e5\"");
            response.Headers.TryAddWithoutValidation("X-Mirror-Sequence", ItemValidator.ToHex(prefer ? sequence : ++sequence));
            return response;
        };
        await using var client = StubCluster.Client(stub, o => o.UseCacheMirror = true);
        await client.LogOnAsync();

        await client.GetItemAsync("hello.txt");
        var hit = await client.GetItemAsync("hello.txt");

        var (first, second) = (stub.Requests[^2].Headers, stub.Requests[^1].Headers);
        Assert.False(first.ContainsKey("Prefer"));
        Assert.False(first.ContainsKey("X-Mirror-Sequence"));
        Assert.Equal("cache-mirror", second["Prefer"]);
        Assert.Equal("1234000000000002", second["X-Mirror-Sequence"]);
        Assert.False(second.ContainsKey("If-None-Match"));
        Assert.True(hit!.FromCache);
    }

    [Fact]
    public async Task A_cached_directory_survives_a_restart_and_its_items_are_revalidated_by_CRC_not_by_the_mirror()
    {
        var directory = Directory.CreateTempSubdirectory("client-cache-").FullName;
        try
        {
            using var stub = new StubCluster();
            stub.Put("hello.txt", "hello");
            await using (var first = StubCluster.Client(stub, o => (o.CacheDirectory, o.UseCacheMirror) = (directory, true)))
            {
                await first.LogOnAsync();
                await first.GetItemAsync("hello.txt");
            }

            await using var second = StubCluster.Client(stub, o => (o.CacheDirectory, o.UseCacheMirror, o.Token) = (directory, true, "token-1"));
            await second.LogOnAsync();
            var item = await second.GetItemAsync("hello.txt");

            Assert.True(item!.FromCache);
            Assert.Equal("\"81b69dda2f09a3e5\"", stub.Requests[^1].Headers["If-None-Match"]);
            Assert.False(stub.Requests[^1].Headers.ContainsKey("Prefer"));
            Assert.Equal("Bearer token-1", stub.Requests[^2].Headers["Authorization"]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_304_for_an_item_the_client_does_not_hold_is_an_error_not_an_empty_item()
    {
        using var stub = new StubCluster
        {
            Override = _ => new HttpResponseMessage(HttpStatusCode.NotModified) { Content = new ByteArrayContent([]) },
        };
        await using var client = StubCluster.Client(stub);
        await client.LogOnAsync();

        var error = await Assert.ThrowsAsync<ClusterClientException>(() => client.GetItemAsync("hello.txt"));
        Assert.Equal(304, error.StatusCode);
    }

    [Fact]
    public async Task A_client_the_cluster_forgot_logs_on_again_and_a_missing_item_is_null()
    {
        using var stub = new StubCluster();
        stub.Put("hello.txt", "hello");
        await using var client = StubCluster.Client(stub);
        await client.LogOnAsync();
        stub.Known = false; // removed after Cluster:ClientIdleTimeout

        var item = await client.GetItemAsync("hello.txt");
        var missing = await client.GetItemAsync("nothing.txt");

        Assert.Equal("hello"u8.ToArray(), item!.Content.ToArray());
        Assert.Null(missing);
        var calls = stub.Requests.Select(r => $"{r.Method} {r.Uri.AbsolutePath}").ToList();
        Assert.Equal(["POST /api/sessions", "GET /api/clients/device-1/items/hello.txt", "GET /api/clients/device-1", "POST /api/sessions",
            "GET /api/clients/device-1/items/hello.txt", "GET /api/clients/device-1/items/nothing.txt", "GET /api/clients/device-1"], calls);
        Assert.Equal("Bearer token-1", stub.Requests[3].Headers["Authorization"]);
    }

    [Fact]
    public async Task Cancellation_is_honoured()
    {
        using var stub = new StubCluster();
        await using var client = StubCluster.Client(stub);
        await client.LogOnAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetItemAsync("hello.txt", cancelled.Token));
    }

    [Fact]
    public async Task Calls_before_logon_are_refused()
    {
        using var stub = new StubCluster();
        await using var client = StubCluster.Client(stub);

        await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetItemAsync("hello.txt"));
        Assert.Empty(stub.Requests);
        Assert.Throws<ArgumentException>(() => StubCluster.Client(stub, o => o.ClientId = "bad id"));
        Assert.NotNull(Encoding.UTF8);
    }

    [Fact]
    public async Task A_refused_logon_carries_the_nodes_problem_details()
    {
        using var stub = new StubCluster
        {
            SessionOverride = _ => new HttpResponseMessage(HttpStatusCode.Forbidden)
            {
                Content = new StringContent("""{"title":"Forbidden","status":403,"detail":"The bearer token belongs to another client."}""",
                    Encoding.UTF8, ApiProblem.MediaType),
            },
        };
        await using var client = StubCluster.Client(stub);

        var refused = await Assert.ThrowsAsync<ClusterClientException>(() => client.LogOnAsync());

        Assert.Equal(403, refused.StatusCode);
        Assert.Equal("The bearer token belongs to another client.", refused.Problem!.Detail);
        Assert.Contains("another client", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_item_carries_the_field_the_node_named()
    {
        using var stub = new StubCluster
        {
            Override = _ => new HttpResponseMessage(HttpStatusCode.BadRequest)
            {
                Content = new StringContent("""{"title":"Invalid key","status":400,"errors":{"key":["The item key is not valid."]}}""",
                    Encoding.UTF8, ApiProblem.MediaType),
            },
        };
        await using var client = StubCluster.Client(stub);
        await client.LogOnAsync();

        var refused = await Assert.ThrowsAsync<ClusterClientException>(() => client.GetItemAsync("hello.txt"));

        Assert.Equal(400, refused.StatusCode);
        Assert.Equal(["The item key is not valid."], refused.Problem!.Errors!["key"]);
        Assert.Equal(1, client.Statistics.Errors);
    }

    [Theory]
    [InlineData("""{"clientId":"device-1","token":"t","tokenExpiresAt":"2030-01-01T00:00:00+00:00"}""")]
    [InlineData("""{"clientId":"device-1","primary":{"nodeId":"n1","url":"not a url"},"token":"t","tokenExpiresAt":"2030-01-01T00:00:00+00:00"}""")]
    [InlineData("""{"clientId":"device-1","primary":{"nodeId":"n1","url":"ftp://n1"},"token":"t","tokenExpiresAt":"2030-01-01T00:00:00+00:00"}""")]
    [InlineData("""{"clientId":"device-1","primary":{"nodeId":"n1","url":"http://n1"},"alternate":{"url":"http://n2"},"token":"t","tokenExpiresAt":"2030-01-01T00:00:00+00:00"}""")]
    [InlineData("""{"clientId":"device-1","primary":{"nodeId":"n1","url":"http://n1"},"tokenExpiresAt":"2030-01-01T00:00:00+00:00"}""")]
    [InlineData("""{"clientId":"device-1","primary":""")]
    [InlineData("[]")]
    public async Task A_logon_answer_that_is_not_a_whole_session_is_a_ClusterClientException(string body)
    {
        using var stub = new StubCluster
        {
            SessionOverride = _ => new HttpResponseMessage(HttpStatusCode.Created) { Content = new StringContent(body, Encoding.UTF8, "application/json") },
        };
        await using var client = StubCluster.Client(stub);

        await Assert.ThrowsAsync<ClusterClientException>(() => client.LogOnAsync());
        Assert.Null(client.Session);
    }
}
