using System.Net;
using ClusterEngine.Mirroring;
using ClusterEngine.Persistence;
using ClusterPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static ClusterPortal.Tests.Api.ItemsTestSupport;

namespace ClusterPortal.Tests.Api;

/// <summary>Idle clients expire with their mirrors (<c>Cluster:ClientIdleTimeout</c>; docs/architecture.md §5).</summary>
public sealed class IdleClientTests : IDisposable
{
    private readonly TestOrigin _origin = new();
    private readonly PortalFactory _factory;

    public IdleClientTests() => _factory = new PortalFactory(_origin.Settings(new() { ["Cluster:ClientIdleTimeout"] = "00:00:02" }));

    public void Dispose()
    {
        _factory.Dispose();
        _origin.Dispose();
    }

    [Fact]
    public async Task Idle_client_is_removed_with_its_mirror_and_its_stored_rows()
    {
        var (http, _) = await _factory.LoggedOnClient("idle-1");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(ItemPath("idle-1", "hello.txt"))).StatusCode);
        var mirror = _factory.Services.GetRequiredService<CacheMirror>();
        Assert.Single(mirror.Entries("idle-1"));
        var admin = _factory.AdminClient();

        await Eventually.True(async () => (await admin.GetAsync("/api/clients/idle-1")).StatusCode == HttpStatusCode.NotFound,
            "the idle client to be removed (GET /api/clients/idle-1 answering 404)", 20_000);
        Assert.Empty(mirror.Entries("idle-1"));
        Assert.Equal(0, mirror.ClientCount);
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync("/api/clients/idle-1/mirror")).StatusCode);
        await _factory.Services.GetRequiredService<PersistenceWriter>().FlushAsync();
        foreach (var stored in await _factory.Services.GetRequiredService<PersistenceLoader>().ReadMirrorsAsync())
        {
            Assert.NotEqual("idle-1", stored.ClientId);
        }
    }
}
