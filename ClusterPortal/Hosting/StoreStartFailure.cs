using Microsoft.AspNetCore.Connections;

namespace ClusterPortal.Hosting;

/// <summary>
/// Recognises a start that failed on the node's own files or database — a damaged <c>node.db</c> page, a table or column
/// missing, a read-only file, a data directory the node's user may not write, a damaged <c>hangfire.db</c> — and says so in
/// one line naming the data directory and what to do. These ended in an unhandled exception with a stack trace and exit
/// code 134 (found by attack: a crash loop under a service manager, and a message that named no file); a node that
/// cannot use its store now exits with code 2, as for any other operator-fixable start problem (<see cref="NodeHost"/>).
/// </summary>
internal static class StoreStartFailure
{
    /// <summary>
    /// The line to print when <paramref name="exception"/> (or one of its inner exceptions) is a failure of the node's store,
    /// else null. <paramref name="dataDirectory"/> is <c>Cluster:DataDirectory</c> as configured; <paramref name="postgres"/>
    /// whether the node's database is PostgreSQL (then its SQLite files are not the store, but its job store is).
    /// </summary>
    public static string? Describe(Exception exception, string dataDirectory, bool postgres = false)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            var what = e switch
            {
                Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.Message, // "SQLite Error 11: 'database disk image is malformed'."
                Npgsql.NpgsqlException pg => $"the PostgreSQL database of Persistence:ConnectionString: {pg.Message}",
                UnauthorizedAccessException denied => denied.Message,
                IOException io when io.InnerException is not AddressInUseException => io.Message,
                _ when e.GetType().FullName == "SQLite.SQLiteException" => $"hangfire.db (the job store): {e.Message}", // Hangfire's SQLite storage (sqlite-net)
                _ => null,
            };
            if (what is not null)
            {
                var advice = postgres && e is Npgsql.NpgsqlException
                    ? "Check the role's rights on the node's schema (Persistence:Schema, default the node id); a damaged schema can be dropped (the node "
                        + "then starts empty and gets its clients back from its peers) or restored from a backup."
                    : "Check its owner and permissions; a damaged node.db or hangfire.db can be moved away (the node then starts empty and gets its "
                        + "clients back from its peers) or restored from a backup.";
                return $"Cannot start: the node's store could not be read or written ({what.ReplaceLineEndings(" ").Trim()}). Data directory: "
                    + $"{Path.GetFullPath(dataDirectory)}. {advice}";
            }
        }

        return null;
    }
}
