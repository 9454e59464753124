using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Tests.Support;

/// <summary>
/// One portal node on real Kestrel (loopback, port 0) with its own temporary data directory,
/// configured as a single node (Cluster:NodeId, Cluster:Key, Portal:AdminKey).
/// </summary>
public sealed class PortalFactory : WebApplicationFactory<Program>
{
    public const string ClusterKey = "test-cluster-key-0123456789";
    public const string AdminKey = "test-admin-key-0123456789";
    private readonly Dictionary<string, string?> _settings;

    public PortalFactory(Dictionary<string, string?>? settings = null, string? dataDirectory = null)
    {
        if (dataDirectory is not null)
        {
            WaitForPreviousHost(dataDirectory);
        }

        DataDirectory = dataDirectory ?? Directory.CreateTempSubdirectory("portal-test-").FullName;
        _settings = new()
        {
            ["Cluster:NodeId"] = "node-1",
            ["Cluster:Key"] = ClusterKey,
            ["Portal:AdminKey"] = AdminKey,
            ["Cluster:DataDirectory"] = DataDirectory,
        };
        foreach (var (k, v) in settings ?? [])
        {
            _settings[k] = v;
        }

        UseKestrel(0);
    }

    public string DataDirectory { get; }

    /// <summary>How long a restart waits for the previous host of its data directory to let go of it.</summary>
    private static readonly TimeSpan PreviousHostTimeout = TimeSpan.FromSeconds(90);

    /// <summary>
    /// A restart on the same data directory waits until the previous host of it has released the node lock: the host
    /// stops when its factory is disposed, but the program's entry point (which holds the lock around <c>RunAsync</c>,
    /// ClusterPortal/Hosting/NodeHost.cs) releases it a moment later on its own thread; a node started before that
    /// refuses the directory (exit 2) and never binds (seen in full-suite runs as "Connection refused 127.0.0.1:0").
    /// <see cref="DisposeAsync"/> already waited for it without blocking a thread when <see cref="KeepData"/> was set;
    /// this is the blocking last check for a directory reused some other way.
    /// </summary>
    private static void WaitForPreviousHost(string dataDirectory)
    {
        var deadline = DateTime.UtcNow + PreviousHostTimeout;
        while (PreviousHostHolds(dataDirectory))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw PreviousHostStuck(dataDirectory);
            }

            Thread.Sleep(20);
        }
    }

    /// <summary>The host's last log entries (Information and above), for a stop that does not end.</summary>
    private readonly CapturingLoggerProvider _recent = new(capacity: 150);

    /// <summary>Waits, yielding its thread, until the entry point of the host just stopped has released the node lock.</summary>
    private async Task WaitForEntryPointAsync()
    {
        var deadline = DateTime.UtcNow + PreviousHostTimeout;
        while (PreviousHostHolds(DataDirectory))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw PreviousHostStuck(DataDirectory, _recent.Lines());
            }

            await Task.Delay(20);
        }
    }

    private static bool PreviousHostHolds(string dataDirectory)
    {
        try
        {
            using var probe = new FileStream(Path.Combine(dataDirectory, "node.lock"), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>The failure names the directory and carries the node's threads as they were (a CI run once timed out here at 30 s).</summary>
    private static TimeoutException PreviousHostStuck(string dataDirectory, string? log = null) =>
        new($"the previous host of {dataDirectory} still holds node.lock after {PreviousHostTimeout.TotalSeconds} s; its threads:\n"
            + StackReport.OfThisProcess() + (log is null ? "" : $"\nits last log entries:\n{log}"));

    /// <summary>The node's base URL (starts the server).</summary>
    public string BaseUrl => Client().BaseAddress!.ToString().TrimEnd('/');

    /// <summary>The node id this factory was configured with.</summary>
    public string NodeId => _settings["Cluster:NodeId"]!;

    /// <summary>Keep the data directory on dispose (restart tests reuse it).</summary>
    public bool KeepData { get; set; }

    /// <summary>Extra host configuration (logging providers, service overrides); set before the first client.</summary>
    public Action<IWebHostBuilder>? Configure { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseStaticWebAssets(); // the dashboard's CSS/JS (MudBlazor, blazor.web.js) from the build, as in Development: browser tests need them
        foreach (var (k, v) in _settings)
        {
            builder.UseSetting(k, v);
        }

        builder.ConfigureLogging(logging => logging.AddProvider(_recent));
        Configure?.Invoke(builder);
    }

    public HttpClient Client()
    {
        StartServer();
        var client = CreateClient();
        WaitUntilReady(client);
        return client;
    }

    /// <summary>Starts the server and returns a client of it without waiting for /health/ready (a node expected never to be ready).</summary>
    public HttpClient StartedClient()
    {
        StartServer();
        return CreateClient();
    }

    private bool _ready;

    /// <summary>A node answers clients once it is Up (it has caught up with its peers): wait for /health/ready, or fail saying so.</summary>
    private void WaitUntilReady(HttpClient client)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var last = "no answer yet";
        while (!_ready && DateTime.UtcNow < deadline)
        {
            using var response = client.GetAsync("/health/ready").GetAwaiter().GetResult();
            _ready = response.IsSuccessStatusCode;
            if (!_ready)
            {
                last = $"{(int)response.StatusCode} {response.Content.ReadAsStringAsync().GetAwaiter().GetResult()}";
                Thread.Sleep(20);
            }
        }

        if (!_ready)
        {
            throw new TimeoutException($"{NodeId} did not answer /health/ready with 200 within 60 s; last answer: {last}");
        }
    }

    public HttpClient AdminClient()
    {
        var client = Client();
        client.DefaultRequestHeaders.Add("X-Admin-Key", AdminKey);
        return client;
    }

    /// <summary>Announces <paramref name="clientId"/> and returns a client that carries its token.</summary>
    public async Task<(HttpClient Http, SessionBody Session)> LoggedOnClient(string clientId)
    {
        var http = Client();
        var response = await http.PostAsJsonAsync("/api/sessions", new { clientId });
        response.EnsureSuccessStatusCode();
        var session = (await response.Content.ReadFromJsonAsync<SessionBody>())!;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", session.Token);
        return (http, session);
    }

    private TimeSpan? _shutdownTimeout;

    protected override IHost CreateHost(IHostBuilder builder)
    {
        var host = base.CreateHost(builder);
        _shutdownTimeout = host.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout;
        return host;
    }

    /// <summary>
    /// Stops the node and deletes its data directory (unless <see cref="KeepData"/>). The host is stopped twice at once:
    /// by this factory and by the program's own <c>RunAsync</c>, which the stopping signal wakes and which disposes the host
    /// when its stop ends (dotnet/aspnetcore#40271). When the program's stop ends first, this factory's stop, still waiting
    /// for Hangfire's server, fails with OperationCanceledException or ObjectDisposedException (failed a CI run). That
    /// duplicate's failure, quicker than the host's shutdown timeout, is ignored; a stop that really runs out of time is not.
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        var stopping = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            await base.DisposeAsync();
        }
        catch (Exception ex) when (_shutdownTimeout is { } timeout && stopping.Elapsed < timeout && IsDuplicateStopFailure(ex))
        {
        }

        if (KeepData)
        {
            await WaitForEntryPointAsync(); // a restart on this directory follows
        }

        DeleteData();
    }

    private static bool IsDuplicateStopFailure(Exception ex) => ex switch
    {
        AggregateException all => all.InnerExceptions.All(IsDuplicateStopFailure),
        OperationCanceledException or ObjectDisposedException => true,
        _ => false,
    };

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            DeleteData();
        }
    }

    private void DeleteData()
    {
        if (KeepData || !Directory.Exists(DataDirectory))
        {
            return;
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a finished host: the OS temp cleaner takes it.
        }
    }
}

public sealed record NodeBody(string NodeId, string Url);

public sealed record SessionBody(string ClientId, NodeBody Primary, NodeBody? Alternate, int Bounces, string Token, DateTimeOffset TokenExpiresAt);
