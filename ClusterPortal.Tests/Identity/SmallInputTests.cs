using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using ClusterPortal.Tests.Cluster;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Identity;

/// <summary>
/// Issue 11, case 7: a non-ASCII item key is no 500; a PUT on a directory leaves nothing temporary and nothing
/// temporary is fetchable; a control character in a login's return URL is no 500; wrong admin keys and failed logins are
/// throttled per remote address (429 with <c>Retry-After</c>); logout needs the antiforgery token; DataProtection keys
/// are in the node's data directory, so an admin login survives a restart.
/// </summary>
[Collection(ProcessFailureGroup.Name)]
[Trait("Category", "Process")]
public sealed partial class SmallInputTests
{
    [Fact]
    public async Task Item_writes_answer_escaped_locations_and_leave_nothing_temporary_to_fetch()
    {
        using var origin = new TempDir();
        Directory.CreateDirectory(Path.Combine(origin.Path, "news", "world"));
        await File.WriteAllTextAsync(Path.Combine(origin.Path, "news", "world", "headlines.json"), "{}");
        await File.WriteAllTextAsync(Path.Combine(origin.Path, "hello.txt"), "hello");
        await File.WriteAllTextAsync(Path.Combine(origin.Path, ".left-over.0123456789abcdef0123456789abcdef.tmp"), "half written");
        await using var cluster = await ProcessCluster.StartAsync(1, [$"--Origin:Root={origin.Path}"]);
        var node = cluster[0];
        using var admin = Http(admin: true);

        using var cafe = await admin.PutAsync(new Uri(node.Url + "/api/items/adv-caf%C3%A9.txt"), new StringContent("crème"));
        Assert.Equal(HttpStatusCode.Created, cafe.StatusCode);
        Assert.Equal("/api/items/adv-caf%C3%A9.txt", cafe.Headers.GetValues("Location").Single());
        Assert.True(File.Exists(Path.Combine(origin.Path, "adv-café.txt")));

        using var directory = await admin.PutAsync(new Uri(node.Url + "/api/items/news"), new StringContent("not a directory"));
        Assert.Equal(HttpStatusCode.Conflict, directory.StatusCode);
        Assert.DoesNotContain(Directory.EnumerateFiles(origin.Path, "*.tmp"), f => !f.Contains("left-over", StringComparison.Ordinal));
        Assert.True(Directory.Exists(Path.Combine(origin.Path, "news")));

        var (_, token) = await cluster.AnnounceAsync(node, "tmp-reader");
        using var reader = Http(admin: false);
        reader.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var temporary = await reader.GetAsync(new Uri(node.Url + "/api/clients/tmp-reader/items/.left-over.0123456789abcdef0123456789abcdef.tmp"));
        Assert.Equal(HttpStatusCode.NotFound, temporary.StatusCode);
        using var real = await reader.GetAsync(new Uri(node.Url + "/api/clients/tmp-reader/items/adv-caf%C3%A9.txt"));
        Assert.Equal(HttpStatusCode.OK, real.StatusCode);
    }

    [Fact]
    public async Task Login_and_logout_refuse_bad_input_throttle_failures_and_survive_a_restart()
    {
        await using var cluster = await ProcessCluster.StartAsync(1);
        var node = cluster[0];
        var cookies = new CookieContainer();
        using var browser = Http(admin: false, cookies);

        // A tab (any control character) in returnUrl: no 500; the return URL is ignored.
        using var login = await PostFormAsync(browser, node.Url, "/account/login", new() { ["key"] = ProcessCluster.AdminKey, ["returnUrl"] = "/\tnodes" });
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/", login.Headers.Location!.OriginalString);

        // Logout without the antiforgery token is refused; the admin cookie stays.
        using var forged = await browser.PostAsync(new Uri(node.Url + "/account/logout"), new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(new Uri(node.Url + "/hangfire"))).StatusCode);

        // The DataProtection keys are in the node's data directory, so the login cookie survives a restart.
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(node.DataDirectory, "keys"), "*.xml"));
        await node.TerminateAsync();
        node.Start();
        await node.WaitReadyAsync();
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(new Uri(node.Url + "/hangfire"))).StatusCode);

        // Wrong admin keys from one address are throttled: 429 with Retry-After, a problem body; the login form too.
        using var guesser = Http(admin: false);
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? throttled = null;
        for (var i = 0; i < 60 && throttled is null; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Patch, new Uri(node.Url + "/api/nodes/node-1")) { Content = new StringContent("""{"mode":"Active"}""", System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Add("X-Admin-Key", $"guess-{i:D4}-0123456789abcdef");
            var response = await guesser.SendAsync(request);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                throttled = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.True(throttled is not null, $"no 429 after {statuses.Count} wrong admin keys: {string.Join(",", statuses.Select(s => (int)s))}");
        using (throttled)
        {
            Assert.True(throttled.Headers.RetryAfter is not null, "429 without Retry-After");
            Assert.Equal("application/problem+json", throttled.Content.Headers.ContentType?.MediaType);
            var problem = await throttled.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
            Assert.Equal("https://tools.ietf.org/html/rfc6585#section-4", problem.GetProperty("type").GetString());
        }

        using var loginWhileThrottled = await PostFormAsync(Http(admin: false, new CookieContainer()), node.Url, "/account/login", new() { ["key"] = "wrong-key-0123456789abc", ["returnUrl"] = "/" });
        Assert.Equal(HttpStatusCode.TooManyRequests, loginWhileThrottled.StatusCode);
    }

    private static HttpClient Http(bool admin, CookieContainer? cookies = null)
    {
        var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = cookies is not null, CookieContainer = cookies ?? new CookieContainer() })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        if (admin)
        {
            http.DefaultRequestHeaders.Add("X-Admin-Key", ProcessCluster.AdminKey);
        }

        return http;
    }

    /// <summary>Posts a form the way the browser does: the antiforgery token from <c>/login</c> included.</summary>
    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient http, string baseUrl, string path, Dictionary<string, string> fields)
    {
        var page = await http.GetStringAsync(new Uri(baseUrl + "/login"));
        var token = AntiforgeryField().Match(page);
        Assert.True(token.Success, "no antiforgery token on /login");
        fields["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups["value"].Value);
        return await http.PostAsync(new Uri(baseUrl + path), new FormUrlEncodedContent(fields));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"(?<value>[^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
