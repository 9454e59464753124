using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using ClusterPortal.Tests.Support;
using Microsoft.Playwright;

namespace ClusterPortal.Tests.Browser;

/// <summary>
/// End-to-end in Debian Chromium against a running 3-node cluster (real Kestrel, real backplane):
/// admin login, adding a 4th node with the form and seeing it on another node's dashboard without a
/// reload, maintenance changing a card, a wrong key refused. Saves the README screenshots.
/// </summary>
public sealed class DashboardBrowserTests
{
    private static readonly Regex s_nodes = new("/nodes$");

    [Fact]
    public async Task Admin_adds_a_fourth_node_and_sets_maintenance_and_another_nodes_dashboard_follows_live()
    {
        await using var cluster = await InProcessCluster.StartAsync(50, 50, 50);
        var fourth = cluster.Add(50, seeded: false);
        _ = fourth.BaseUrl;
        await MakeTrafficAsync(cluster);
        await using var browser = await BrowserSession.StartAsync();

        // Another node's overview, opened before the change and never reloaded.
        var watcher = await browser.OpenAsync(cluster[1].BaseUrl + "/");
        await Assertions.Expect(watcher.Locator("[data-node]")).ToHaveCountAsync(3, new() { Timeout = BrowserSession.Timeout });

        var admin = await LoginAsync(browser, cluster[0].BaseUrl, PortalFactory.AdminKey);
        await admin.FillAsync("#add-url", fourth.BaseUrl);
        await admin.FillAsync("#add-capacity", "50");
        await admin.FillAsync("#add-name", "Fourth");
        await admin.ClickAsync("#add-submit");
        await Assertions.Expect(admin.Locator("#add-ok")).ToBeVisibleAsync(new() { Timeout = BrowserSession.Timeout });

        await Assertions.Expect(watcher.Locator("[data-node='node-4']")).ToBeVisibleAsync(new() { Timeout = BrowserSession.Timeout });
        await Assertions.Expect(watcher.Locator("[data-node='node-4']")).ToHaveAttributeAsync("data-state", "Up", new() { Timeout = BrowserSession.Timeout });

        await admin.ClickAsync("#maintenance-node-3");
        await Assertions.Expect(watcher.Locator("[data-node='node-3']")).ToHaveAttributeAsync("data-mode", "Maintenance", new() { Timeout = BrowserSession.Timeout });
        await Assertions.Expect(watcher.Locator("[data-node='node-3'] [data-field='mode']")).ToHaveTextAsync("Maintenance");
        await Assertions.Expect(watcher.Locator("[data-node='node-3'] [data-field='primary']")).ToHaveTextAsync("0", new() { Timeout = BrowserSession.Timeout });

        await SaveScreenshotsAsync(browser, cluster, watcher, admin);
    }

    [Fact]
    public async Task A_wrong_admin_key_is_refused_and_the_nodes_page_stays_read_only()
    {
        await using var cluster = await InProcessCluster.StartAsync(50, 50, 50);
        await using var browser = await BrowserSession.StartAsync();

        var page = await browser.OpenAsync(cluster[0].BaseUrl + "/nodes");
        await Assertions.Expect(page.Locator("#read-only")).ToBeVisibleAsync();
        await page.GotoAsync(cluster[0].BaseUrl + "/login?returnUrl=%2Fnodes");
        await page.FillAsync("#admin-key", "not-the-admin-key-0000");
        await page.ClickAsync("#login-submit");

        await Assertions.Expect(page.Locator("#login-error")).ToBeVisibleAsync();
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == Security.AuthSchemes.AdminCookieName);
        await page.GotoAsync(cluster[0].BaseUrl + "/nodes");
        await BrowserSession.WaitInteractiveAsync(page);
        await Assertions.Expect(page.Locator("#read-only")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#add-node-form")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("[data-admin='true']")).ToHaveCountAsync(0);
    }

    private static async Task<IPage> LoginAsync(BrowserSession browser, string baseUrl, string key)
    {
        var context = await browser.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 } });
        context.SetDefaultTimeout(BrowserSession.Timeout);
        var page = await context.NewPageAsync();
        await page.GotoAsync(baseUrl + "/login?returnUrl=%2Fnodes");
        await page.FillAsync("#admin-key", key);
        await page.ClickAsync("#login-submit");
        await page.WaitForURLAsync(s_nodes);
        await BrowserSession.WaitInteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-admin='true']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#add-node-form")).ToBeVisibleAsync();
        return page;
    }

    /// <summary>Some clients and item requests (first a 200, then two 304s), so the numbers and charts are not empty and sent and saved differ.</summary>
    private static async Task MakeTrafficAsync(InProcessCluster cluster)
    {
        string[] items = ["text/welcome.txt", "weather/current-oslo.json", "news/world/headlines.json"];
        for (var i = 0; i < 24; i++)
        {
            var (http, _) = await cluster.Announce(i % 3, $"device-{i:D3}");
            foreach (var item in items)
            {
                var first = await http.GetAsync($"/api/clients/device-{i:D3}/items/{item}");
                for (var repeat = 0; first.Headers.ETag is { } etag && repeat < 2; repeat++)
                {
                    using var again = new HttpRequestMessage(HttpMethod.Get, $"/api/clients/device-{i:D3}/items/{item}");
                    again.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(etag.Tag));
                    await http.SendAsync(again);
                }
            }
        }
    }

    private static async Task SaveScreenshotsAsync(BrowserSession browser, InProcessCluster cluster, IPage overview, IPage nodes)
    {
        var directory = Path.Combine(RepositoryRoot(), "docs", "screenshots");
        Directory.CreateDirectory(directory);
        await nodes.ScreenshotAsync(new() { Path = Path.Combine(directory, "nodes.png"), FullPage = true });
        await overview.ScreenshotAsync(new() { Path = Path.Combine(directory, "overview.png"), FullPage = true });

        var clients = await browser.OpenAsync(cluster[0].BaseUrl + "/clients");
        await Assertions.Expect(clients.Locator("[data-client]").First).ToBeVisibleAsync();
        await clients.Locator("[data-client]").First.ClickAsync();
        await Assertions.Expect(clients.Locator("#client-detail")).ToBeVisibleAsync();
        await clients.ScreenshotAsync(new() { Path = Path.Combine(directory, "clients.png"), FullPage = true });

        var events = await browser.OpenAsync(cluster[1].BaseUrl + "/events");
        await Assertions.Expect(events.Locator("tr[data-kind='NodeAdded']").First).ToBeVisibleAsync();
        await events.ScreenshotAsync(new() { Path = Path.Combine(directory, "events.png") });
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ClusterPortal.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("ClusterPortal.sln not found above the test output");
    }
}
