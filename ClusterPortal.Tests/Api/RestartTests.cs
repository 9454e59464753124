using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ClusterEngine.Mirroring;
using ClusterEngine.Persistence;
using ClusterPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static ClusterPortal.Tests.Api.ItemsTestSupport;

namespace ClusterPortal.Tests.Api;

/// <summary>
/// A node restarted on the same data directory has its assignments and mirrors back (issue 3 item 6; docs/architecture.md §9) and
/// keeps vouching for the mirror sequence it persisted (issue 14 item 3); on PostgreSQL even when its data directory is
/// lost in between (issue 16).
/// </summary>
public abstract class RestartTests : IAsyncLifetime
{
    private readonly TestOrigin _origin = new();
    private readonly string _data = Directory.CreateTempSubdirectory("portal-restart-").FullName;
    private NodeStoreSettings? _store;

    protected abstract PersistenceProvider Provider { get; }

    public async Task InitializeAsync() => _store = await NodeStoreSettings.CreateAsync(Provider);

    private Dictionary<string, string?> Settings() => _store!.Settings(_origin.Settings());

    public async Task DisposeAsync()
    {
        await _store!.DisposeAsync();
        _origin.Dispose();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // Held by a finished host: the OS temp cleaner takes it.
        }
    }

    [Fact]
    public async Task Restarted_node_has_its_assignments_and_mirror_entries_back()
    {
        string token, sequence, earlier;
        IReadOnlyList<MirrorEntry> before1, before2;
        using (var first = new PortalFactory(Settings(), _data) { KeepData = true })
        {
            var (http, session) = await first.LoggedOnClient("restart-1");
            var (other, _) = await first.LoggedOnClient("restart-2");
            token = session.Token;
            var last = await http.SendAsync(Get("restart-1", "hello.txt", ("Prefer", "cache-mirror")));
            earlier = Sequence(last);
            last = await http.SendAsync(Get("restart-1", "a/b/c.txt", (SequenceHeader, Sequence(last))));
            sequence = Sequence(last);
            await other.GetAsync(ItemPath("restart-2", "weather/city-3.json"));
            var mirror = first.Services.GetRequiredService<CacheMirror>();
            (before1, before2) = (mirror.Entries("restart-1"), mirror.Entries("restart-2"));
        }

        if (Provider == PersistenceProvider.PostgreSql)
        {
            Directory.Delete(_data, recursive: true); // the machine is gone; the database is not
        }

        using var second = new PortalFactory(Settings(), _data);
        var client = second.Client();
        client.DefaultRequestHeaders.Authorization = Bearer(token);

        var assignment = await client.GetFromJsonAsync<JsonElement>("/api/clients/restart-1");
        var restored = second.Services.GetRequiredService<CacheMirror>();

        Assert.Equal("node-1", assignment.GetProperty("primary").GetProperty("nodeId").GetString());
        Assert.Equal(2, before1.Count);
        Assert.Equal(Summary(before1), Summary(restored.Entries("restart-1")));
        Assert.Equal(Summary(before2), Summary(restored.Entries("restart-2")));
        // Stopped gracefully (every mirror write flushed): the node still vouches for the last sequence it sent (issue 14
        // item 3), and only for that one.
        var current = await client.SendAsync(Get("restart-1", "a/b/c.txt", ("Prefer", "cache-mirror"), (SequenceHeader, sequence)));
        Assert.Equal(HttpStatusCode.NotModified, current.StatusCode);
        Assert.Equal(sequence, Sequence(current));
        var stale = await client.SendAsync(Get("restart-1", "hello.txt", ("Prefer", "cache-mirror"), (SequenceHeader, earlier)));
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
    }

    private static string[] Summary(IReadOnlyList<MirrorEntry> entries) =>
        [.. entries.Select(e => $"{e.Key}:{e.Validator:x16}:{e.SizeBytes}").Order(StringComparer.Ordinal)];
}

/// <summary><see cref="RestartTests"/> on SQLite.</summary>
public sealed class RestartTestsSqlite : RestartTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.Sqlite;
}

/// <summary><see cref="RestartTests"/> on PostgreSQL, the data directory deleted before the restart.</summary>
[Trait("Category", "Process")]
public sealed class RestartTestsPostgreSql : RestartTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.PostgreSql;
}
