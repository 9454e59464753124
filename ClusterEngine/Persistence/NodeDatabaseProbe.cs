using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ClusterEngine.Persistence;

/// <summary>
/// The start-up check of a node's database (docs/persistence.md): can it be opened at all? A wrong
/// connection string, a server that does not answer, a bad password or a missing database stop the node with one
/// line naming the key instead of a stack trace later.
/// </summary>
internal static class NodeDatabaseProbe
{
    /// <summary>Opens one connection to <paramref name="target"/> and runs a trivial query; returns null when that worked, else why not (one line, no password).</summary>
    public static string? Check(NodeDatabaseTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        try
        {
            if (target.Provider == PersistenceProvider.PostgreSql)
            {
                using var connection = new NpgsqlConnection(target.ConnectionString);
                connection.Open();
                using var command = new NpgsqlCommand("SELECT 1", connection);
                command.ExecuteScalar();
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target.Description)!);
                using var connection = new SqliteConnection(target.ConnectionString);
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA user_version";
                command.ExecuteScalar();
            }

            return null;
        }
        catch (Exception e) when (e is NpgsqlException or SqliteException or IOException or UnauthorizedAccessException or TimeoutException or InvalidOperationException)
        {
            return Reason(e);
        }
    }

    private static string Reason(Exception e) => e switch
    {
        PostgresException pg => $"{pg.MessageText} (SQLSTATE {pg.SqlState})",
        NpgsqlException { InnerException: SocketException socket } => $"the server does not answer ({socket.SocketErrorCode})",
        NpgsqlException { InnerException: TimeoutException } or TimeoutException => "the server did not answer in time",
        NpgsqlException { InnerException: { } inner } => Flat(inner.Message),
        _ => Flat(e.Message),
    };

    private static string Flat(string message) => message.ReplaceLineEndings(" ").Trim().TrimEnd('.');
}
