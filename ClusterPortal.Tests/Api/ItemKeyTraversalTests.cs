using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Api;

/// <summary>
/// Traversal in any encoding (docs/architecture.md §5, issue 3 item 8): always a 4xx, never 200, never a byte of a file
/// outside the origin root. Requests go over a raw socket so the target reaches the server exactly as written.
/// </summary>
public sealed class ItemKeyTraversalTests : IDisposable
{
    private readonly TestOrigin _origin = new();
    private readonly PortalFactory _factory;

    public ItemKeyTraversalTests() => _factory = new PortalFactory(_origin.Settings());

    public void Dispose()
    {
        _factory.Dispose();
        _origin.Dispose();
    }

    public static TheoryData<string> Keys => new()
    {
        "..%2f..%2fsecret.txt",
        "..%2Froot-secret",
        "%2e%2e/secret.txt",
        "%2e%2e/%2e%2e/secret.txt",
        "%2E%2E%2F%2E%2E%2Fsecret.txt",
        "..%5c..%5csecret.txt",
        "%5c..%5csecret.txt",
        "%252e%252e/%252e%252e/secret.txt",
        "%252e%252e%252fsecret.txt",
        "../secret.txt",
        "../../secret.txt",
        "a/../../secret.txt",
        "a/b/..%2f..%2f..%2fsecret.txt",
        "..\\secret.txt",
        "a/./b/c.txt",
        "/secret.txt",
        "//x",
        "hello.txt%00",
        "hello.txt%00/../../secret.txt",
        "%2fetc%2fpasswd",
        "a/b/%2e/c.txt",
    };

    [Fact]
    public async Task Control_the_raw_requests_reach_the_item_and_operator_endpoints()
    {
        var (http, session) = await _factory.LoggedOnClient("trav-0");

        var get = await RawHttp.SendAsync(http.BaseAddress!, "GET", "/api/clients/trav-0/items/a/b/c.txt", "Authorization: Bearer " + session.Token);
        var put = await RawHttp.SendAsync(http.BaseAddress!, "PUT", "/api/items/a/empty.txt", "X-Admin-Key: " + PortalFactory.AdminKey, "Content-Length: 0");

        Assert.Equal(200, get.Status);
        Assert.Equal("abc"u8.ToArray(), get.Body);
        Assert.Equal(201, put.Status);
        Assert.True(File.Exists(Path.Combine(_origin.Root, "a", "empty.txt")));
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public async Task Traversal_in_any_encoding_is_a_4xx_and_never_reads_outside_the_root(string key)
    {
        var (http, session) = await _factory.LoggedOnClient("trav-1");

        var response = await RawHttp.SendAsync(http.BaseAddress!, "GET", "/api/clients/trav-1/items/" + key, "Authorization: Bearer " + session.Token);

        Assert.InRange(response.Status, 400, 499);
        Assert.NotEqual(401, response.Status); // the token is good: refused for the key, not for the caller
        Assert.False(Contains(response.Body, TestOrigin.SecretBytes), "the secret was served");
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public async Task Operator_writes_with_traversal_keys_are_a_4xx_and_never_touch_files_outside_the_root(string key)
    {
        var http = _factory.Client();

        var response = await RawHttp.SendAsync(http.BaseAddress!, "PUT", "/api/items/" + key,
            "X-Admin-Key: " + PortalFactory.AdminKey, "Content-Length: 0");

        Assert.InRange(response.Status, 400, 499);
        Assert.NotEqual(401, response.Status);
        Assert.Equal(TestOrigin.SecretBytes, File.ReadAllBytes(Path.Combine(_origin.Directory, "secret.txt")));
        Assert.Equal(["root", "root-secret", "secret.txt"], Directory.GetFileSystemEntries(_origin.Directory).Select(Path.GetFileName).Order());
    }

    [Theory]
    [InlineData("/api/clients/trav-2/items/..")]
    [InlineData("/api/clients/trav-2/items/%2e%2e")]
    [InlineData("/api/clients/trav-2/items/.%2E")]
    [InlineData("/api/clients/trav-2/items/.")]
    [InlineData("/api/clients/trav-2/items/../../../etc/passwd")]
    [InlineData("/api/items/a/../../evil.txt")]
    [InlineData("/api/clients/trav-2/items/a/b/c.txt#x")]  // routed as the key "c.txt#x" here, forwarded as "c.txt"
    [InlineData("/api/clients/trav-2/items/a/b/c.txt#")]
    [InlineData("/api/items/a/b/c.txt#frag")]
    public async Task A_dot_segment_that_would_land_on_another_route_is_a_400_naming_the_path(string target)
    {
        // The server removes dot segments before routing: "items/.." would otherwise be answered by GET /api/clients/{id}.
        var (http, session) = await _factory.LoggedOnClient("trav-2");

        var response = await RawHttp.SendAsync(http.BaseAddress!, "GET", target, "Authorization: Bearer " + session.Token);

        Assert.Equal(400, response.Status);
        Assert.Contains("\"path\"", System.Text.Encoding.UTF8.GetString(response.Body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/clients/a/items/x.txt", false)]
    [InlineData("/_content/MudBlazor/MudBlazor.min.css?v=1.2", false)]
    [InlineData("/a/.../b", false)]
    [InlineData("/a/..x/b", false)]
    [InlineData("/a/b?x=/../", false)]
    [InlineData("/a/../b", true)]
    [InlineData("/a/%2E/b", true)]
    [InlineData("/a/b/..", true)]
    public void Dot_segment_detection(string target, bool expected) => Assert.Equal(expected, ClusterPortal.Hosting.DotSegmentGuard.HasDotSegment(target));

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
