using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using ClusterEngine.Persistence;
using ClusterPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static ClusterPortal.Tests.Api.ItemsTestSupport;

namespace ClusterPortal.Tests.Api;

/// <summary>
/// Issue 16, "Bad input and faults": the PostgreSQL server is stopped and started while clients keep requesting items.
/// Writes that must persist answer 503 with Retry-After, item requests go on from memory, and the node recovers by
/// itself: what happened during the outage reaches the database once it is back.
/// </summary>
[Trait("Category", "Process")]
public sealed class DatabaseOutageTests
{
    private const int Clients = 8;
    private static readonly string[] Items = ["hello.txt", "a/b/c.txt", "weather/city-3.json"];

    [Fact]
    public async Task Stopping_the_database_under_load_refuses_durable_writes_with_503_keeps_serving_items_and_recovers_by_itself()
    {
        await using var server = await PostgresServer.StartOwnAsync(); // private: this test stops it
        await using var database = await server.CreateDatabaseAsync();
        using var origin = new TestOrigin();
        var settings = origin.Settings(new()
        {
            ["Persistence:Provider"] = "PostgreSql",
            ["Persistence:ConnectionString"] = database.ConnectionString,
            ["Logging:LogLevel:Default"] = "Critical", // the outage is expected: keep the test output readable
        });
        using var node = new PortalFactory(settings);
        var clients = new List<HttpClient>();
        for (var i = 0; i < Clients; i++)
        {
            clients.Add((await node.LoggedOnClient($"outage-{i}")).Http);
        }

        var phase = "before";
        var answers = new ConcurrentDictionary<(string Phase, HttpStatusCode Status), int>();
        using var stopLoad = new CancellationTokenSource(TimeSpan.FromMinutes(3)); // bounded even if the test fails
        var load = Task.WhenAll(clients.Select((http, i) => Task.Run(async () =>
        {
            for (var n = 0; !stopLoad.IsCancellationRequested; n++)
            {
                try
                {
                    using var response = await http.SendAsync(Get($"outage-{i}", Items[n % Items.Length]), stopLoad.Token);
                    answers.AddOrUpdate((Volatile.Read(ref phase), response.StatusCode), 1, (_, c) => c + 1);
                }
                catch (OperationCanceledException) when (stopLoad.IsCancellationRequested)
                {
                    return;
                }
            }
        })));
        await Eventually.True(() => answers.Keys.Any(k => k.Phase == "before"), "item requests answered before the outage");
        var writer = node.Services.GetRequiredService<PersistenceWriter>();
        var admin = node.AdminClient();
        var announced = new List<string>();

        await server.StopAsync();
        Volatile.Write(ref phase, "outage");
        HttpResponseMessage? refused = null;
        await Eventually.True(async () =>
        {
            var id = $"during-{announced.Count}";
            var response = await admin.PostAsJsonAsync("/api/sessions", new { clientId = id });
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                refused = response;
                return true;
            }

            Assert.Equal(HttpStatusCode.Created, response.StatusCode); // accepted before the writer noticed: stored when it is back
            announced.Add(id);
            return false;
        }, "a new client's announce answered 503 while the database is down", 30_000);

        Assert.False(writer.IsAvailable);
        Assert.InRange(int.Parse(refused!.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 5);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var capacity = await admin.PatchAsJsonAsync("/api/nodes/node-1", new { capacity = 5000 });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, capacity.StatusCode);
        Assert.True(capacity.Headers.Contains("Retry-After"));
        var ready = await node.Client().GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode); // still in the shared address: it serves from memory
        Assert.Equal("Degraded", await ready.Content.ReadAsStringAsync());
        var servedDuringOutage = answers.Where(a => a.Key.Phase == "outage").Sum(a => a.Value);
        await Eventually.True(() => answers.Where(a => a.Key.Phase == "outage").Sum(a => a.Value) > servedDuringOutage + 50,
            "item requests go on while the database is down");

        await server.StartAsync();
        await Eventually.True(async () =>
        {
            var response = await admin.PostAsJsonAsync("/api/sessions", new { clientId = "after-outage" });
            return response.StatusCode == HttpStatusCode.Created;
        }, "new clients accepted again once the database is back (the node recovers by itself)", 30_000);
        Volatile.Write(ref phase, "after");
        await Eventually.True(() => answers.Keys.Any(k => k.Phase == "after"), "item requests answered after the outage");
        await stopLoad.CancelAsync();
        await load;
        await writer.FlushAsync();

        Assert.True(writer.IsAvailable);
        Assert.All(answers, a => Assert.True(a.Key.Status is HttpStatusCode.OK or HttpStatusCode.NotModified,
            $"{a.Value} item request(s) answered {(int)a.Key.Status} {a.Key.Phase} the outage"));
        // Everything the node learned while the database was away is stored now.
        var stored = await StoredClientsAsync(database.ConnectionString);
        Assert.Superset(new HashSet<string>([.. Enumerable.Range(0, Clients).Select(i => $"outage-{i}"), .. announced, "after-outage"]), stored);
        try
        {
            await node.DisposeAsync(); // ~0.1 s alone
        }
        catch (OperationCanceledException)
        {
            // Seen once in the full suite at load average 19: the host's 10 s stop budget ran out while Hangfire's server
            // stopped after the outage. Shutdown time is not what this test checks (the graceful-leave tests do).
        }
    }

    private static async Task<HashSet<string>> StoredClientsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, SearchPath = "\"node-1\"" }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT \"ClientId\" FROM \"Assignments\" WHERE \"Primary\" IS NOT NULL", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
