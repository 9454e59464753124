using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ClusterEngine.Persistence;

/// <summary>
/// Sets the per-connection pragmas on every opened connection: <c>synchronous=NORMAL</c> (safe with
/// WAL: a power loss may lose the last commits, never corrupt) and <c>busy_timeout</c>.
/// <c>journal_mode=WAL</c> is persistent in the file and set once by <see cref="NodeDatabase"/>.
/// </summary>
internal sealed class SqlitePragmaInterceptor(TimeSpan busyTimeout) : DbConnectionInterceptor
{
    private readonly string _pragmas = $"PRAGMA synchronous=NORMAL; PRAGMA busy_timeout={(long)busyTimeout.TotalMilliseconds};";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
#pragma warning disable CA2100 // Built from a number, not from input.
        command.CommandText = _pragmas;
#pragma warning restore CA2100
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        var command = connection.CreateCommand();
        await using (command)
        {
#pragma warning disable CA2100 // Built from a number, not from input.
            command.CommandText = _pragmas;
#pragma warning restore CA2100
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
