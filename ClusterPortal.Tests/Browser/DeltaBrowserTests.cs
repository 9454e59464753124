using System.Text;
using ClusterPortal.Client.Contract;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Browser;

/// <summary>
/// RFC 9842 in a real browser (issue 14 item 6; <c>docs/deltas.md</c>): Debian Chromium fetches an item from a page on
/// the node (loopback counts as a secure context), the item changes by a few bytes, the page fetches it again and
/// receives <c>Content-Encoding: dcz</c> — a delta against the copy Chromium kept as a dictionary — which Chromium
/// decodes to the new bytes.
/// </summary>
[Trait("Category", "Browser")]
[Trait("Category", "Cluster")]
public sealed class DeltaBrowserTests
{
    // The last segment has characters that are escaped in the URL and special in URL Pattern syntax: the relative match
    // (match="reading%20%28v%2B1%29.json") must still name this URL in Chromium.
    private static readonly ItemKey Key = ItemKey.Parse("browser/reading (v+1).json");

    [Fact]
    public async Task Chromium_receives_a_changed_item_as_a_dcz_delta_and_decodes_it_to_the_new_bytes()
    {
        await using var cluster = await InProcessCluster.StartAsync(50);
        var node = cluster[0];
        var (_, session) = await cluster.Announce(0, "browser-device");
        using var admin = node.AdminClient();
        await using var browser = await BrowserSession.StartAsync();
        var context = await browser.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(node.BaseUrl + "/health/live");
        var url = "/" + ClusterPaths.Item("browser-device", Key);

        // Chromium stores a dictionary once the answer is in its cache; a fetch before that gets the plain 200 and the
        // item changes again, until a dcz answer arrives (deadline below) — each answer must decode to the current bytes.
        await PutAsync(admin, Item(0));
        var first = await FetchAsync(page, url, session.Token);
        Assert.Equal(Encoding.UTF8.GetString(Item(0)), first.Body);
        string? encoding = null;
        var version = 0;
        await Eventually.True(async () =>
        {
            version++;
            await PutAsync(admin, Item(version));
            var next = await FetchAsync(page, url, session.Token);
            Assert.Equal(200, next.Status);
            Assert.Equal(Encoding.UTF8.GetString(Item(version)), next.Body);
            encoding = next.Encoding;
            return encoding == "dcz";
        }, "a dcz answer that Chromium decodes", 60_000, () => $"after {version} edits the last answer's Content-Encoding was '{encoding}'");
    }

    /// <summary>A 4 KiB JSON item whose <c>version</c> field is the only difference between versions.</summary>
    private static byte[] Item(int version)
    {
        var random = new Random(5);
        var json = new StringBuilder($"{{\"sensor\":\"browser\",\"version\":{version},\"readings\":[");
        while (json.Length < 4000)
        {
            json.Append(System.Globalization.CultureInfo.InvariantCulture, $"{{\"t\":{random.Next(1_000_000, 9_999_999)},\"v\":{random.Next(0, 100_000)}}},");
        }

        json.Length--;
        return Encoding.UTF8.GetBytes(json.Append("]}").ToString());
    }

    private static async Task PutAsync(HttpClient admin, byte[] content)
    {
        using var response = await admin.PutAsync(new Uri("/api/items/" + Key.ToUrlPath(), UriKind.Relative), new ByteArrayContent(content));
        Assert.True(response.IsSuccessStatusCode, $"PUT {Key}: {(int)response.StatusCode}");
    }

    /// <summary>
    /// A fetch that revalidates (<c>cache: 'no-cache'</c>): with <c>stale-while-revalidate</c> a plain fetch may get the
    /// held copy at once while the browser revalidates in the background (<c>docs/deltas.md</c>).
    /// </summary>
    private static async Task<Answer> FetchAsync(Microsoft.Playwright.IPage page, string url, string token) =>
        await page.EvaluateAsync<Answer>(
            """
            async ([url, token]) => {
              const response = await fetch(url, { cache: 'no-cache', headers: { Authorization: 'Bearer ' + token } });
              return { status: response.status, encoding: response.headers.get('content-encoding'), body: await response.text() };
            }
            """, new[] { url, token });

    private sealed class Answer
    {
        public int Status { get; set; }

        public string? Encoding { get; set; }

        public string Body { get; set; } = "";
    }
}
