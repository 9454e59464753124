using System.Diagnostics;
using System.Globalization;
using ClusterEngine.Mirroring;
using ClusterEngine.Persistence;
using ClusterEngine.Placement;
using Microsoft.Extensions.Configuration;

namespace ClusterPortal.ClusterBench;

/// <summary>
/// Writes the stored state of one node with <c>clients</c> clients through the node's own persistence (the engine's
/// <see cref="PersistenceWriter"/>, as <c>AddPersistence</c> composes it): each client an assignment with the node as
/// primary and a mirror that grows to <c>entries</c> entries, stored whole after each one as the node stores it. Item keys come from a shared catalogue of 1,000 keys,
/// as devices of one application fetch the same items.
/// </summary>
internal static class ScaleSeed
{
    /// <summary>Item keys in the shared catalogue.</summary>
    public const int CatalogueSize = 1_000;

    /// <summary>A 16-character device id.</summary>
    public static string ClientId(int i) => "dev-" + i.ToString("D12", CultureInfo.InvariantCulture);

    /// <summary>Writes the state and returns how long it took.</summary>
    /// <param name="settings">The node's <c>Cluster:</c> and <c>Persistence:</c> settings (as given to the node process).</param>
    /// <param name="nodeId">The node (primary of every client).</param>
    /// <param name="clients">Clients to write.</param>
    /// <param name="entries">Mirror entries per client.</param>
    public static async Task<TimeSpan> WriteAsync(IReadOnlyDictionary<string, string?> settings, string nodeId, int clients, int entries)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddClusterEngine(configuration).AddPersistence(configuration);
        await using var provider = services.BuildServiceProvider();
        var writer = provider.GetRequiredService<PersistenceWriter>();

        var started = Stopwatch.GetTimestamp();
        await writer.StartAsync(CancellationToken.None);
        var keys = Enumerable.Range(0, CatalogueSize).Select(k => $"catalogue/item-{k:D4}.json").ToArray();
        for (var i = 0; i < clients; i++)
        {
            var clientId = ClientId(i);
            writer.Enqueue(new AssignmentDelta(clientId, nodeId, null, new AssignmentVersion(i + 1L, nodeId), 0, AssignmentChangeReason.Assigned));
            // As the node stores them: after each first 200 of an item, the client's whole mirror (one entry more each time).
            var lineage = (ulong)(i + 1) << 32;
            var held = new MirrorEntry[entries];
            for (var e = 0; e < entries; e++)
            {
                var key = keys[(i * 7 + e * 61) % CatalogueSize];
                held[e] = new MirrorEntry(key, ((ulong)(uint)(i * 31 + e)) | 1UL << 63, 4_096, lineage + (ulong)e + 1);
                writer.Enqueue(new MirrorSnapshot(clientId, IsFull: true, BaseSequence: 0, lineage + (ulong)e + 1, new ArraySegment<MirrorEntry>(held, 0, e + 1)));
            }

            if (i % 100_000 == 99_999)
            {
                Console.Error.WriteLine($"    {nodeId}: {i + 1:N0} clients queued ({Stopwatch.GetElapsedTime(started).TotalSeconds:0} s)");
            }
        }

        await writer.FlushAsync();
        await writer.StopAsync(CancellationToken.None);
        return Stopwatch.GetElapsedTime(started);
    }
}
