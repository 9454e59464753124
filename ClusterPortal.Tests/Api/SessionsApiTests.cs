using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ClusterPortal.Client.Contract;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Api;

/// <summary>POST/DELETE /api/sessions (patent Fig. 1, steps 100–120; docs/architecture.md §5).</summary>
public sealed class SessionsApiTests : IDisposable
{
    private readonly PortalFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Fig1_step120_new_client_gets_201_with_assignment_and_token()
    {
        var http = _factory.Client();

        var response = await http.PostAsJsonAsync("/api/sessions", new { clientId = "device-0001" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/api/clients/device-0001", response.Headers.Location!.OriginalString);
        var body = (await response.Content.ReadFromJsonAsync<SessionBody>())!;
        Assert.Equal("node-1", body.Primary.NodeId);
        Assert.StartsWith("http://127.0.0.1:", body.Primary.Url, StringComparison.Ordinal);
        Assert.Null(body.Alternate);
        Assert.True(body.TokenExpiresAt > DateTimeOffset.UtcNow.AddDays(29));
    }

    [Fact]
    public async Task The_nodes_session_answer_is_byte_for_byte_what_the_contract_types_write()
    {
        var response = await _factory.Client().PostAsJsonAsync("/api/sessions", new { clientId = "device-wire" });
        var text = await response.Content.ReadAsStringAsync();

        var session = JsonSerializer.Deserialize<SessionResponse>(text, ContractJson.Options)!;

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(text, JsonSerializer.Serialize(session, ContractJson.Options));
        Assert.Equal("device-wire", session.ClientId);
        // Sent whole, with its length (SessionAnswer): no chunked framing on a device's link.
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(text), response.Content.Headers.ContentLength);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
    }

    [Fact]
    public async Task A_refused_session_is_a_problem_the_contract_reads_with_the_field_named()
    {
        var response = await _factory.Client().PostAsJsonAsync("/api/sessions", new { clientId = "no spaces" });

        var problem = await response.Content.ReadFromJsonAsync<ApiProblem>(ContractJson.Options);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(ApiProblem.MediaType, response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(400, problem!.Status);
        Assert.Contains("clientId", problem.Errors!.Keys);
    }

    [Fact]
    public async Task Existing_client_needs_its_token_401_without_403_with_another_200_with_its_own()
    {
        var (owner, session) = await _factory.LoggedOnClient("device-a");
        var (other, _) = await _factory.LoggedOnClient("device-b");
        var anonymous = _factory.Client();

        var none = await anonymous.PostAsJsonAsync("/api/sessions", new { clientId = "device-a" });
        var wrong = await other.PostAsJsonAsync("/api/sessions", new { clientId = "device-a" });
        var renewed = await owner.PostAsJsonAsync("/api/sessions", new { clientId = "device-a" });

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType!.MediaType);
        Assert.Equal("Bearer realm=\"ClusterPortal\"", none.Headers.WwwAuthenticate.ToString()); // RFC 9110 §11.6.1: every 401 has one
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        var body = (await renewed.Content.ReadFromJsonAsync<SessionBody>())!;
        Assert.Equal(session.Primary, body.Primary);
    }

    [Fact]
    public async Task Forged_or_garbled_token_is_401()
    {
        var (owner, session) = await _factory.LoggedOnClient("device-c");
        var forged = session.Token[..^2] + (session.Token[^2] == 'A' ? "BB" : "AA");
        owner.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", forged);

        var response = await owner.PostAsJsonAsync("/api/sessions", new { clientId = "device-c" });
        var item = await owner.GetAsync(new Uri("/api/clients/device-c/items/hello.txt", UriKind.Relative));

        foreach (var refused in new[] { response, item })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("Bearer realm=\"ClusterPortal\", error=\"invalid_token\", error_description=\"The token is not valid\"",
                refused.Headers.WwwAuthenticate.ToString());
            var problem = await refused.Content.ReadFromJsonAsync<ApiProblem>(ContractJson.Options);
            Assert.Contains("not one this cluster issued", problem!.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Refusals_of_client_and_operator_calls_say_what_was_wrong()
    {
        var (owner, _) = await _factory.LoggedOnClient("device-r");
        var (other, _) = await _factory.LoggedOnClient("device-s");
        var item = new Uri("/api/clients/device-r/items/hello.txt", UriKind.Relative);

        var anonymous = await _factory.Client().GetAsync(item);
        var foreign = await other.GetAsync(item);
        var operatorCall = await owner.PatchAsJsonAsync("/api/nodes/node-1", new { mode = "Maintenance" });
        var wrongKey = _factory.Client();
        wrongKey.DefaultRequestHeaders.Add("X-Admin-Key", "not-the-key");
        var wrong = await wrongKey.PatchAsJsonAsync("/api/nodes/node-1", new { mode = "Maintenance" });

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Bearer realm=\"ClusterPortal\"", anonymous.Headers.WwwAuthenticate.ToString());
        Assert.Contains("Authorization: Bearer", (await anonymous.Content.ReadFromJsonAsync<ApiProblem>(ContractJson.Options))!.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Contains("another client", (await foreign.Content.ReadFromJsonAsync<ApiProblem>(ContractJson.Options))!.Detail, StringComparison.Ordinal);
        foreach (var (refused, says) in new[] { (operatorCall, "operator endpoint"), (wrong, "is wrong") })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("AdminKey realm=\"ClusterPortal\", header=\"X-Admin-Key\"", refused.Headers.WwwAuthenticate.ToString());
            Assert.Contains(says, (await refused.Content.ReadFromJsonAsync<ApiProblem>(ContractJson.Options))!.Detail, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("...")]
    [InlineData("../etc")]
    [InlineData("a b")]
    [InlineData("dev/1")]
    [InlineData("dév")]
    public async Task Bad_client_id_is_400_naming_clientId(string clientId)
    {
        var response = await _factory.Client().PostAsJsonAsync("/api/sessions", new { clientId });

        await AssertFieldProblem(response, "clientId");
    }

    [Fact]
    public async Task A_lost_201_is_recovered_by_repeating_the_announce_with_its_retry_key_and_only_with_it()
    {
        var http = _factory.Client();
        const string key = "k3y-of-device-0123456789_abcdef";
        var first = await http.PostAsJsonAsync("/api/sessions", new { clientId = "lost-answer-1", retryKey = key });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode); // the device never reads this answer

        var noKey = await http.PostAsJsonAsync("/api/sessions", new { clientId = "lost-answer-1" });
        var otherKey = await http.PostAsJsonAsync("/api/sessions", new { clientId = "lost-answer-1", retryKey = "someone-else-0123456789" });
        var retry = await http.PostAsJsonAsync("/api/sessions", new { clientId = "lost-answer-1", retryKey = key });

        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, otherKey.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal("/api/clients/lost-answer-1", retry.Headers.Location?.OriginalString);
        var session = (await retry.Content.ReadFromJsonAsync<SessionBody>())!;
        var original = (await first.Content.ReadFromJsonAsync<SessionBody>())!;
        Assert.Equal(original.Primary, session.Primary);

        // The token works as the lost one would have.
        using var item = new HttpRequestMessage(HttpMethod.Get, "/api/clients/lost-answer-1/items/hello.txt");
        item.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session.Token);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(item)).StatusCode);

        // With a token the key plays no part: a wrong token is refused whatever key comes with it.
        using var withToken = new HttpRequestMessage(HttpMethod.Post, "/api/sessions") { Content = JsonContent.Create(new { clientId = "lost-answer-1", retryKey = key }) };
        withToken.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(withToken)).StatusCode);
    }

    [Theory]
    [InlineData("short-key")]
    [InlineData("has spaces in it 0123456789")]
    [InlineData("caf\u00e9-0123456789abcdef")]
    public async Task A_retry_key_that_is_not_16_to_128_url_safe_characters_is_400_naming_it(string key)
    {
        var response = await _factory.Client().PostAsJsonAsync("/api/sessions", new { clientId = "bad-key-1", retryKey = System.Text.RegularExpressions.Regex.Unescape(key) });

        await AssertFieldProblem(response, "retryKey");
        Assert.Equal(HttpStatusCode.NotFound, (await _factory.AdminClient().GetAsync("/api/clients/bad-key-1")).StatusCode); // nothing registered
    }

    [Theory]
    [InlineData("{\"clientId\":\"typed-1\",\"retryKey\":123}", "retryKey")]
    [InlineData("{\"clientId\":\"typed-1\",\"retryKey\":[\"k\"]}", "retryKey")]
    [InlineData("{\"clientId\":5}", "clientId")]
    [InlineData("{\"clientId\":{\"id\":\"typed-1\"}}", "clientId")]
    [InlineData("{\"ClientId\":5}", "clientId")] // names bind case-insensitively
    [InlineData("{\"clientId\":\"typed-1", "body")] // truncated: the body's fault, not the field's
    [InlineData("{\"clientId\":tru}", "body")]
    [InlineData("{\"clientId\":\"typed-1\",\"retryKey\":\"0123456789abcdef", "body")]
    public async Task A_field_that_is_not_a_string_is_400_naming_the_field(string body, string field)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var response = await _factory.Client().PostAsync("/api/sessions", content);

        await AssertFieldProblem(response, field);
        Assert.Equal(HttpStatusCode.NotFound, (await _factory.AdminClient().GetAsync("/api/clients/typed-1")).StatusCode); // nothing registered
    }

    [Fact]
    public async Task A_retry_key_of_129_characters_is_400_naming_it()
    {
        var response = await _factory.Client().PostAsJsonAsync("/api/sessions", new { clientId = "bad-key-2", retryKey = new string('k', 129) });

        await AssertFieldProblem(response, "retryKey");
    }

    [Fact]
    public async Task Client_id_longer_than_128_is_400()
    {
        var response = await _factory.Client().PostAsJsonAsync("/api/sessions", new { clientId = new string('a', 129) });

        await AssertFieldProblem(response, "clientId");
    }

    [Theory]
    [InlineData("{bad json")]
    [InlineData("[]")]
    [InlineData("")]
    public async Task Malformed_body_is_400_naming_body(string json)
    {
        var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");

        var response = await _factory.Client().PostAsync("/api/sessions", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Oversized_body_is_413_problem_details()
    {
        using var factory = new PortalFactory(new() { ["Portal:MaxRequestBodyBytes"] = "1024" });
        var content = new StringContent($"{{\"clientId\":\"{new string('a', 4096)}\"}}", System.Text.Encoding.UTF8, "application/json");

        var response = await factory.Client().PostAsync("/api/sessions", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("https://tools.ietf.org/html/rfc9110#section-15.5.14", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Session_creation_beyond_the_rate_limit_is_429_not_503()
    {
        using var factory = new PortalFactory(new() { ["Portal:SessionRateLimit"] = "3" });
        var http = factory.Client();

        var codes = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 6; i++)
        {
            var response = await http.PostAsJsonAsync("/api/sessions", new { clientId = $"burst-{i}" });
            codes.Add(response.StatusCode);
            limited ??= response.StatusCode == HttpStatusCode.TooManyRequests ? response : null;
        }

        Assert.DoesNotContain(HttpStatusCode.ServiceUnavailable, codes);
        Assert.True(limited is not null, $"no 429 in a burst of 6 against a limit of 3 a second: {string.Join(",", codes.Select(c => (int)c))}");
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType!.MediaType);
        Assert.True(limited.Headers.RetryAfter?.Delta is { } retry && retry >= TimeSpan.FromSeconds(1), "429 without a Retry-After of a whole second or more");
        var problem = await limited.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        Assert.Equal("https://tools.ietf.org/html/rfc6585#section-4", problem.GetProperty("type").GetString()); // RFC 9457: a type, not about:blank
        Assert.Contains("Portal:SessionRateLimit", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Cluster_full_is_503_with_retry_after()
    {
        using var factory = new PortalFactory(new() { ["Cluster:Capacity"] = "1" });
        await factory.LoggedOnClient("only-one");

        var response = await factory.Client().PostAsJsonAsync("/api/sessions", new { clientId = "one-too-many" });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task Log_off_needs_the_clients_token()
    {
        var (owner, _) = await _factory.LoggedOnClient("device-d");
        var (other, _) = await _factory.LoggedOnClient("device-e");

        Assert.Equal(HttpStatusCode.Unauthorized, (await _factory.Client().DeleteAsync("/api/sessions/device-d")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.DeleteAsync("/api/sessions/device-d")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync("/api/sessions/device-d")).StatusCode);
    }

    internal static async Task AssertFieldProblem(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(doc.RootElement.GetProperty("errors").TryGetProperty(field, out _), $"problem does not name {field}");
    }
}
