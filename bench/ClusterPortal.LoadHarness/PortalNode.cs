using ClusterPortal.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ClusterPortal.LoadHarness;

/// <summary>One ClusterPortal node started in this process on a loopback port, as <c>Program.cs</c> composes it.</summary>
internal sealed class PortalNode : IAsyncDisposable
{
    public const string ClusterKey = "bench-cluster-key-0123456789";
    public const string AdminKey = "bench-admin-key-0123456789";

    private readonly WebApplication _app;

    private PortalNode(WebApplication app, Uri baseAddress, Uri http2Address)
    {
        _app = app;
        BaseAddress = baseAddress;
        Http2Address = http2Address;
    }

    public Uri BaseAddress { get; }

    /// <summary>The node's <c>Portal:Http2Port</c> address: HTTP/2 with prior knowledge.</summary>
    public Uri Http2Address { get; }

    public static async Task<PortalNode> StartAsync(string dataDirectory, string originRoot)
    {
        var http2Port = ClusterPortal.Testing.FreePorts.One();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = "ClusterPortal",
            ContentRootPath = PortalOutputDirectory(),
            WebRootPath = RepositoryRoot() is { } repo ? Path.Combine(repo, "ClusterPortal", "wwwroot") : null,
            Args =
            [
                "--urls", "http://127.0.0.1:0",
                "--Cluster:NodeId=bench-1",
                $"--Cluster:Key={ClusterKey}",
                "--Cluster:Capacity=10000000", // the most Cluster:Capacity accepts
                $"--Cluster:DataDirectory={dataDirectory}",
                $"--Portal:AdminKey={AdminKey}",
                "--Portal:SessionRateLimit=1000000",
                $"--Origin:Root={originRoot}",
                "--Logging:LogLevel:Default=Warning",
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"--Portal:Http2Port={http2Port}"),
            ],
        });
        builder.AddClusterPortal();
        var app = builder.Build();
        app.UseClusterPortal();
        await app.StartAsync();

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .First(a => !a.EndsWith(string.Create(System.Globalization.CultureInfo.InvariantCulture, $":{http2Port}"), StringComparison.Ordinal));
        var node = new PortalNode(app, new Uri(address), new Uri(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"http://127.0.0.1:{http2Port}")));
        await node.WaitReadyAsync();
        return node;
    }

    /// <summary>The node is Joining for a moment after start: wait for <c>/health/ready</c> = 200.</summary>
    private async Task WaitReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            using var response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(10);
        }

        throw new InvalidOperationException("The node did not become ready within 30 s.");
    }

    /// <summary>The portal's build output (static web assets manifest, appsettings) beside this harness's build output.</summary>
    private static string PortalOutputDirectory()
    {
        var self = new DirectoryInfo(AppContext.BaseDirectory);
        if (RepositoryRoot() is not { } repo)
        {
            return AppContext.BaseDirectory;
        }

        var output = Path.Combine(repo, "ClusterPortal", "bin", self.Parent!.Name, self.Name);
        return Directory.Exists(output) ? output : AppContext.BaseDirectory;
    }

    private static string? RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ClusterPortal.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
