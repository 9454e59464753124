using System.Collections.Concurrent;
using System.Net;
using ClusterEngine.Mirroring;
using ClusterEngine.Persistence;
using ClusterPortal.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static ClusterPortal.Tests.Api.ItemsTestSupport;

namespace ClusterPortal.Tests.Api;

/// <summary>
/// 50 clients × 40 requests in parallel while an operator rewrites 5 items (issue 3 "Tests"): zero 5xx, no
/// "database is locked", and every mirror write kept in SQLite.
/// </summary>
public sealed class ConcurrencyTests : IDisposable
{
    private const int Clients = 50;
    private const int RequestsPerClient = 40;
    private readonly TestOrigin _origin = new();
    private readonly CapturingLoggerProvider _logs = new();
    private readonly PortalFactory _factory;

    public ConcurrencyTests() => _factory = new PortalFactory(_origin.Settings(new() { ["Portal:SessionRateLimit"] = "100000" }))
    {
        Configure = web => web.ConfigureLogging(logging => logging.AddProvider(_logs)),
    };

    public void Dispose()
    {
        _factory.Dispose();
        _origin.Dispose();
    }

    [Fact]
    public async Task Fifty_clients_times_forty_requests_while_items_are_rewritten_no_5xx_no_lock_errors_every_mirror_write_kept()
    {
        var sessions = await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => _factory.LoggedOnClient($"load-{i:D2}")));
        var statuses = new ConcurrentBag<HttpStatusCode>();
        using var stop = new CancellationTokenSource();
        var admin = _factory.AdminClient();
        var writer = Task.Run(async () =>
        {
            var writes = 0;
            while (!stop.IsCancellationRequested)
            {
                var put = await admin.PutAsync($"/api/items/weather/city-{writes % 5}.json", new StringContent($$"""{"rewrite":{{writes}}}"""));
                statuses.Add(put.StatusCode);
                writes++;
            }

            return writes;
        });

        await Task.WhenAll(sessions.Select((s, c) => Task.Run(async () =>
        {
            string? sequence = null;
            var held = new Dictionary<string, string>();
            for (var i = 0; i < RequestsPerClient; i++)
            {
                var key = $"weather/city-{(i + c) % 10}.json";
                var headers = new List<(string, string)> { ("Prefer", "cache-mirror") };
                if (sequence is not null)
                {
                    headers.Add((SequenceHeader, sequence));
                }

                if (i % 3 == 0 && held.TryGetValue(key, out var tag))
                {
                    headers.Add(("If-None-Match", tag));
                }

                using var response = await s.Http.SendAsync(Get(s.Session.ClientId, key, [.. headers]));
                statuses.Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    held[key] = ETag(response);
                }

                sequence = response.Headers.TryGetValues(SequenceHeader, out var values) ? values.Single() : null;
            }
        })));
        await stop.CancelAsync();
        var rewrites = await writer;

        Assert.True(rewrites > 0);
        Assert.DoesNotContain(statuses, s => (int)s >= 500);
        Assert.All(statuses, s => Assert.Contains(s, new[] { HttpStatusCode.OK, HttpStatusCode.NotModified }));
        Assert.Equal(Clients * RequestsPerClient + rewrites, statuses.Count);

        await _factory.Services.GetRequiredService<PersistenceWriter>().FlushAsync();
        var stored = new Dictionary<string, MirrorSnapshot>();
        foreach (var whole in await _factory.Services.GetRequiredService<PersistenceLoader>().ReadMirrorsAsync())
        {
            stored[whole.ClientId] = whole;
        }

        var mirror = _factory.Services.GetRequiredService<CacheMirror>();
        foreach (var (_, session) in sessions)
        {
            var inMemory = mirror.Entries(session.ClientId).Select(e => $"{e.Key}:{e.Validator:x16}:{e.SizeBytes}").Order(StringComparer.Ordinal);
            var inSqlite = stored[session.ClientId].Entries.Select(e => $"{e.Key}:{e.Validator:x16}:{e.SizeBytes}").Order(StringComparer.Ordinal);
            Assert.Equal(inMemory, inSqlite);
            Assert.Equal(mirror.CurrentSequence(session.ClientId), stored[session.ClientId].Sequence);
        }

        Assert.DoesNotContain(_logs.Entries, e => e.Message.Contains("database is locked", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(_logs.Entries, e => e.Category.Contains("Persistence", StringComparison.Ordinal) && e.Level >= LogLevel.Warning);
    }
}
