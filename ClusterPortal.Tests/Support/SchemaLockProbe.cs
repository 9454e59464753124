using Npgsql;

namespace ClusterPortal.Tests.Support;

/// <summary>Who holds a node's PostgreSQL schema lock (<c>ClusterPortal.Hosting.SchemaLock</c>), as the server sees it.</summary>
public static class SchemaLockProbe
{
    /// <summary>The server pid of the session holding <paramref name="schema"/>'s lock in the connection string's database, or null.</summary>
    public static async Task<int?> HolderPidAsync(string connectionString, string schema)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        var key = ClusterPortal.Hosting.SchemaLock.Key(schema);
        await using var find = new NpgsqlCommand(
            "SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.objsubid = 1 "
            + "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            connection) { Parameters = { new() { Value = (long)(uint)(key >> 32) }, new() { Value = (long)(uint)key } } };
        return await find.ExecuteScalarAsync() as int?;
    }
}
