using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ClusterEngine.Persistence;

/// <summary>
/// Opens the node database once per process: applies pending migrations (never <c>EnsureCreated</c>)
/// and switches the file to WAL. The loader and the writer both await <see cref="EnsureReadyAsync"/>.
/// </summary>
internal sealed class NodeDatabase(IDbContextFactory<NodeDbContext> factory, ILogger<NodeDatabase> logger)
{
    private readonly Lock _gate = new();
    private Task? _ready;

    /// <summary>Completes when the schema is current and WAL is on; a failure is retried by the next call.</summary>
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

    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Count();
        await db.Database.MigrateAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        var command = db.Database.GetDbConnection().CreateCommand();
        await using (command)
        {
            command.CommandText = "PRAGMA journal_mode=WAL;";
            var mode = (string?)await command.ExecuteScalarAsync(cancellationToken) ?? "?";
            var path = db.Database.GetDbConnection().DataSource;
            PersistenceLog.DatabaseOpened(logger, path, pending, mode);
        }
    }
}
