using ClusterEngine;
using ClusterEngine.DependencyInjection;
using ClusterEngine.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the node's persistence (docs/architecture.md §9; SQLite or PostgreSQL, docs/persistence.md) to the cluster engine.</summary>
public static class PersistenceClusterEngineBuilderExtensions
{
    /// <summary>
    /// Binds <see cref="PersistenceOptions"/> from the <c>Persistence</c> section (validated at start, including one
    /// connection to the database, with messages naming the key) and registers
    /// <see cref="IDbContextFactory{NodeDbContext}"/> over the chosen provider — <c>{Cluster:DataDirectory}/node.db</c>
    /// (default <c>./data/{NodeId}</c>; the directory is created) or the node's schema in the PostgreSQL database —, the
    /// <see cref="PersistenceLoader"/>, the <see cref="PersistenceRestorer"/>, the <see cref="PersistenceWriter"/> and the
    /// observer that feeds it every change, and the journal that stores the retry tags the node keeps as a claim holder. The node's lifecycle migrates and restores the stored members, assignments
    /// and mirrors at start, then starts the writer; at stop the writer drains its queue to the database.
    /// </summary>
    /// <param name="builder">The engine builder from <c>AddClusterEngine</c>.</param>
    /// <param name="configuration">The root configuration (section <c>Persistence</c>).</param>
    /// <param name="configure">Optional tuning applied after binding.</param>
    /// <returns>The same builder.</returns>
    public static ClusterEngineBuilder AddPersistence(this ClusterEngineBuilder builder, IConfiguration configuration, Action<PersistenceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        var services = builder.Services;
        var options = services.AddOptions<PersistenceOptions>().Bind(configuration.GetSection(PersistenceOptions.SectionName)).ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PersistenceOptions>, PersistenceOptionsValidator>());
        services.TryAddSingleton(sp => TargetOf(sp.GetRequiredService<IOptions<ClusterOptions>>().Value, sp.GetRequiredService<IOptions<PersistenceOptions>>().Value));
        services.TryAddSingleton(sp => NodeDatabaseProvider.CreateFactory(sp.GetRequiredService<NodeDatabaseTarget>(),
            sp.GetRequiredService<IOptions<PersistenceOptions>>().Value, sp.GetRequiredService<ILoggerFactory>()));
        services.TryAddSingleton(sp => new NodeDatabase(
            sp.GetRequiredService<IDbContextFactory<NodeDbContext>>(), sp.GetRequiredService<NodeDatabaseTarget>(), sp.GetRequiredService<ILogger<NodeDatabase>>()));
        services.TryAddSingleton(sp => new PersistenceLoader(
            sp.GetRequiredService<IDbContextFactory<NodeDbContext>>(), sp.GetRequiredService<NodeDatabase>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<PersistenceLoader>>()));
        services.TryAddSingleton(sp => new PersistenceWriter(
            sp.GetRequiredService<IDbContextFactory<NodeDbContext>>(), sp.GetRequiredService<NodeDatabase>(),
            sp.GetRequiredService<IOptions<PersistenceOptions>>().Value, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PersistenceWriter>>()));
        services.TryAddSingleton(sp => new StoreOwner(sp.GetRequiredService<IDbContextFactory<NodeDbContext>>(), sp.GetRequiredService<NodeDatabase>(),
            sp.GetRequiredService<NodeDatabaseTarget>(), sp.GetRequiredService<IOptions<ClusterOptions>>().Value, sp.GetRequiredService<ILogger<StoreOwner>>()));
        services.TryAddSingleton<PersistenceRestorer>();
        services.TryAddSingleton<ClientSeenStore>(); // started and stopped by the NodeLifecycle
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ClusterEngine.Changes.IClusterChangeObserver, PersistenceObserver>());
        services.TryAddSingleton<ClusterEngine.Placement.IRetryTagJournal>(sp => new RetryTagPersistence(sp.GetRequiredService<PersistenceWriter>()));
        return builder;
    }

    /// <summary>The database of a node with these options.</summary>
    internal static NodeDatabaseTarget TargetOf(ClusterOptions cluster, PersistenceOptions persistence) =>
        NodeDatabaseTarget.For(DataDirectoryOf(cluster), cluster.NodeId ?? "node-1", persistence);

    /// <summary>The node's data directory: <see cref="ClusterOptions.DataDirectory"/>, or <c>./data/{NodeId}</c>.</summary>
    internal static string DataDirectoryOf(ClusterOptions options) =>
        options.DataDirectory ?? Path.Combine("data", options.NodeId ?? "node-1");
}
