using ClusterEngine;
using ClusterEngine.DependencyInjection;
using ClusterEngine.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the node's SQLite persistence (DESIGN.md §9) to the cluster engine.</summary>
public static class PersistenceClusterEngineBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="IDbContextFactory{NodeDbContext}"/> over <c>{Cluster:DataDirectory}/node.db</c>
    /// (default <c>./data/{NodeId}</c>; the directory is created), the <see cref="PersistenceLoader"/>,
    /// the <see cref="PersistenceRestorer"/>, the <see cref="PersistenceWriter"/> and the observer that feeds it every
    /// change. The node's lifecycle restores the stored members, assignments and mirrors at start, then starts the
    /// writer; at stop the writer drains its queue to disk.
    /// </summary>
    /// <param name="builder">The engine builder from <c>AddClusterEngine</c>.</param>
    /// <param name="configure">Optional tuning of batching and queueing.</param>
    /// <returns>The same builder.</returns>
    public static ClusterEngineBuilder AddSqlitePersistence(this ClusterEngineBuilder builder, Action<PersistenceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<PersistenceOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddPooledDbContextFactory<NodeDbContext>((sp, db) =>
            db.UseNodeDatabase(DataDirectoryOf(sp.GetRequiredService<IOptions<ClusterOptions>>().Value),
                sp.GetRequiredService<IOptions<PersistenceOptions>>().Value));
        services.TryAddSingleton(sp => new NodeDatabase(
            sp.GetRequiredService<IDbContextFactory<NodeDbContext>>(), sp.GetRequiredService<ILogger<NodeDatabase>>()));
        services.TryAddSingleton(sp => new PersistenceLoader(
            sp.GetRequiredService<IDbContextFactory<NodeDbContext>>(), sp.GetRequiredService<NodeDatabase>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<PersistenceLoader>>()));
        services.TryAddSingleton(sp => new PersistenceWriter(
            sp.GetRequiredService<IDbContextFactory<NodeDbContext>>(), sp.GetRequiredService<NodeDatabase>(),
            sp.GetRequiredService<IOptions<PersistenceOptions>>().Value, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PersistenceWriter>>()));
        services.TryAddSingleton<PersistenceRestorer>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ClusterEngine.Changes.IClusterChangeObserver, PersistenceObserver>());
        return builder;
    }

    /// <summary>The node's data directory: <see cref="ClusterOptions.DataDirectory"/>, or <c>./data/{NodeId}</c>.</summary>
    internal static string DataDirectoryOf(ClusterOptions options) =>
        options.DataDirectory ?? Path.Combine("data", options.NodeId ?? "node-1");
}
