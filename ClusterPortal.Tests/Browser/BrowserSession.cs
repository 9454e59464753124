using Microsoft.Playwright;

namespace ClusterPortal.Tests.Browser;

/// <summary>
/// Debian Chromium driven by Playwright, offline (no <c>playwright install</c>): the system browser at
/// /usr/bin/chromium, headless, no first-run or background network. Waits are on conditions, generous
/// for a slow shared machine.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const float Timeout = 60_000;

    /// <summary>The screen the dashboard must read well on at a glance: a common laptop, 1366×768.</summary>
    public static readonly ViewportSize Screen = new() { Width = 1366, Height = 768 };
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = default!;

    public static async Task<BrowserSession> StartAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: apt-get install -y chromium (.ci/run does)");
        // Every expectation waits as long as the explicit ones: a page on a loaded 2-core machine can take longer than
        // Playwright's 5 s default to render, and an expectation still fails loudly naming its locator.
        Assertions.SetDefaultExpectTimeout(Timeout);
        var session = new BrowserSession { _playwright = await Playwright.CreateAsync() };
        session.Browser = await session._playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        return session;
    }

    /// <summary>A fresh browser context (own cookies) with one page at <paramref name="url"/>, waiting for the interactive circuit.</summary>
    public async Task<IPage> OpenAsync(string url, IBrowserContext? context = null)
    {
        context ??= await Browser.NewContextAsync(new() { ViewportSize = Screen });
        context.SetDefaultTimeout(Timeout);
        var page = await context.NewPageAsync();
        page.Console += (_, message) => Console.Enqueue($"{message.Type}: {message.Text}");
        page.PageError += (_, error) => Console.Enqueue($"page error: {error}");
        await page.GotoAsync(url);
        try
        {
            await WaitInteractiveAsync(page);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{url} never became interactive. Browser console:\n{string.Join("\n", Console)}", ex);
        }

        return page;
    }

    /// <summary>Console messages and page errors of every page opened through <see cref="OpenAsync"/> (failure diagnostics).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Console { get; } = new();

    /// <summary>Blazor has connected the circuit (the layout marks itself) — only then do clicks reach the server.</summary>
    public static Task WaitInteractiveAsync(IPage page) =>
        page.Locator("[data-interactive='true']").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = Timeout });

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
