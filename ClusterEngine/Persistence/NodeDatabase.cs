using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ClusterEngine.Persistence;

/// <summary>
/// Opens the node database once per process: on PostgreSQL creates the node's schema when it is missing, then applies
/// the provider's pending migrations (never <c>EnsureCreated</c>); on SQLite switches the file to WAL. The loader and
/// the writer both await <see cref="EnsureReadyAsync"/>.
/// </summary>
internal sealed class NodeDatabase(IDbContextFactory<NodeDbContext> factory, NodeDatabaseTarget target, ILogger<NodeDatabase> logger)
{
    private readonly Lock _gate = new();
    private Task? _ready;

    /// <summary>Where the database is (provider, password-free description).</summary>
    public NodeDatabaseTarget Target => target;

    /// <summary>Completes when the schema is current (and WAL is on for SQLite); a failure is retried by the next call.</summary>
    public Task EnsureReadyAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_ready is null || _ready.IsFaulted || _ready.IsCanceled)
            {
                _ready = OpenAsync(cancellationToken);
            }

            return _ready;
        }
    }

    /// <summary>
    /// After a failed write: drops pooled connections, which may all be broken after a database restart, so the
    /// next attempt opens a fresh one (Npgsql; SQLite connections are files and need nothing).
    /// </summary>
    public void ResetConnections()
    {
        if (target.Provider == PersistenceProvider.PostgreSql)
        {
            using var connection = new NpgsqlConnection(target.ConnectionString);
            NpgsqlConnection.ClearPool(connection);
        }
    }

    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        if (target.Provider == PersistenceProvider.PostgreSql)
        {
            await EnsureSchemaAsync(cancellationToken);
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        // A store a newer build migrated has a schema this build does not know (columns it would not write, meanings it
        // would not keep): found by attack, such a store started without a word. Refused before anything is read.
        var known = db.Database.GetMigrations().ToHashSet(StringComparer.Ordinal);
        if ((await db.Database.GetAppliedMigrationsAsync(cancellationToken)).Where(m => !known.Contains(m)).Order(StringComparer.Ordinal).ToList() is { Count: > 0 } unknown)
        {
            throw new StoreRefusedException(
                $"the store {target.Description} was migrated by a newer build of ClusterPortal (migration {string.Join(", ", unknown)} is unknown to this "
                + "build). Start the node with that build or a newer one, or move the store away (the node then starts empty and gets its clients from its peers).");
        }

        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Count();
        await db.Database.MigrateAsync(cancellationToken);
        var mode = target.Provider == PersistenceProvider.Sqlite ? await EnableWalAsync(db, cancellationToken) : "n/a";
        PersistenceLog.DatabaseOpened(logger, target.Provider, target.Description, pending, mode);
    }

    private static async Task<string> EnableWalAsync(NodeDbContext db, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        var command = db.Database.GetDbConnection().CreateCommand();
        await using (command)
        {
            command.CommandText = "PRAGMA journal_mode=WAL;";
            return (string?)await command.ExecuteScalarAsync(cancellationToken) ?? "?";
        }
    }

    /// <summary>Creates the node's schema unless it exists (an operator may create it beforehand and grant only it).</summary>
    private async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(target.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)", connection)
        {
            Parameters = { new() { Value = target.Schema } },
        };
        if (await exists.ExecuteScalarAsync(cancellationToken) is true)
        {
            return;
        }

#pragma warning disable CA2100 // A quoted identifier from validated configuration, not request input.
        await using var create = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS {NodeDatabaseTarget.QuoteIdentifier(target.Schema!)}", connection);
#pragma warning restore CA2100
        await create.ExecuteNonQueryAsync(cancellationToken);
        PersistenceLog.SchemaCreated(logger, target.Schema!);
    }
}
