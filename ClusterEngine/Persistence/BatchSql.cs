using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace ClusterEngine.Persistence;

/// <summary>
/// Writes one coalesced <see cref="WriteBatch"/> in one transaction with reused parameterised
/// commands, synchronously (Microsoft.Data.Sqlite does its I/O synchronously anyway; the writer runs
/// on its own thread). The upserts use <c>INSERT … ON CONFLICT … DO UPDATE</c> (SQLite and PostgreSQL);
/// an assignment row is replaced only by a newer version (counter, then node id ordinal).
/// </summary>
internal static class BatchSql
{
    private const string UpsertMember = """
        INSERT INTO "Members" ("NodeId", "Url", "Name", "Capacity", "Order", "Mode", "Removed", "Version", "VersionNodeId")
        VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8)
        ON CONFLICT ("NodeId") DO UPDATE SET "Url" = excluded."Url", "Name" = excluded."Name", "Capacity" = excluded."Capacity",
          "Order" = excluded."Order", "Mode" = excluded."Mode", "Removed" = excluded."Removed",
          "Version" = excluded."Version", "VersionNodeId" = excluded."VersionNodeId"
        WHERE excluded."Version" > "Members"."Version"
           OR (excluded."Version" = "Members"."Version" AND excluded."VersionNodeId" >= "Members"."VersionNodeId")
        """;

    private const string UpsertAssignment = """
        INSERT INTO "Assignments" ("ClientId", "Primary", "Alternate", "VersionCounter", "VersionNodeId", "Bounces", "Reason", "LastSeenUtc")
        VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7)
        ON CONFLICT ("ClientId") DO UPDATE SET "Primary" = excluded."Primary", "Alternate" = excluded."Alternate",
          "VersionCounter" = excluded."VersionCounter", "VersionNodeId" = excluded."VersionNodeId", "Bounces" = excluded."Bounces",
          "Reason" = excluded."Reason", "LastSeenUtc" = excluded."LastSeenUtc"
        WHERE excluded."VersionCounter" > "Assignments"."VersionCounter"
           OR (excluded."VersionCounter" = "Assignments"."VersionCounter" AND excluded."VersionNodeId" > "Assignments"."VersionNodeId")
        """;

    private const string DeleteEntries = """DELETE FROM "MirrorEntries" WHERE "ClientId" = @p0""";

    private const string DeleteClient = """DELETE FROM "MirrorClients" WHERE "ClientId" = @p0""";

    private const string UpsertClient = """
        INSERT INTO "MirrorClients" ("ClientId", "Sequence", "SyncedSequence") VALUES (@p0, @p1, @p2)
        ON CONFLICT ("ClientId") DO UPDATE SET "Sequence" = excluded."Sequence", "SyncedSequence" = excluded."SyncedSequence"
        """;

    private const string UpsertEntry = """
        INSERT INTO "MirrorEntries" ("ClientId", "Key", "Validator", "Size", "Sequence", "LastUsedUtc") VALUES (@p0, @p1, @p2, @p3, @p4, @p5)
        ON CONFLICT ("ClientId", "Key") DO UPDATE SET "Validator" = excluded."Validator", "Size" = excluded."Size",
          "Sequence" = excluded."Sequence", "LastUsedUtc" = excluded."LastUsedUtc"
        """;

    private const string DeleteEntry = """DELETE FROM "MirrorEntries" WHERE "ClientId" = @p0 AND "Key" = @p1""";

    /// <summary>Writes <paramref name="batch"/>; returns the number of row operations issued.</summary>
    /// <param name="db">A fresh context (its connection is used directly).</param>
    /// <param name="batch">The coalesced changes.</param>
    /// <param name="now">Stored as <c>LastSeenUtc</c> of the assignments written.</param>
        public static int Write(NodeDbContext db, WriteBatch batch, DateTimeOffset now)
    {
        db.Database.OpenConnection();
        using var transaction = db.Database.BeginTransaction();
        var connection = db.Database.GetDbConnection();
        var tx = transaction.GetDbTransaction();
        var rows = 0;

        if (batch.Members.Count > 0)
        {
            using var upsert = Command(connection, tx, UpsertMember, 9);
            foreach (var m in batch.Members.Values)
            {
                rows += Run(upsert, m.NodeId, m.Url, m.Name, m.Capacity, m.Order, (int)m.Mode, m.Removed, m.Version, m.VersionNodeId);
            }
        }

        if (batch.Assignments.Count > 0)
        {
            using var upsert = Command(connection, tx, UpsertAssignment, 8);
            var seen = now.ToUnixTimeMilliseconds();
            foreach (var d in batch.Assignments.Values)
            {
                rows += Run(upsert, d.ClientId, d.Primary, d.Primary is null ? null : d.Alternate,
                    d.Version.Counter, d.Version.NodeId, d.Bounces, (int)d.Reason, seen);
            }
        }

        if (batch.Mirrors.Count > 0)
        {
            rows += WriteMirrors(connection, tx, batch);
        }

        transaction.Commit();
        return rows;
    }

    private static int WriteMirrors(DbConnection connection, DbTransaction tx, WriteBatch batch)
    {
        using var deleteEntries = Command(connection, tx, DeleteEntries, 1);
        using var deleteClient = Command(connection, tx, DeleteClient, 1);
        using var upsertClient = Command(connection, tx, UpsertClient, 3);
        using var upsertEntry = Command(connection, tx, UpsertEntry, 6);
        using var deleteEntry = Command(connection, tx, DeleteEntry, 2);
        var rows = 0;
        foreach (var (clientId, changes) in batch.Mirrors)
        {
            if (changes.DeleteAllEntries)
            {
                rows += Run(deleteEntries, clientId);
            }

            if (changes.Client is { } c)
            {
                rows += Run(upsertClient, clientId, unchecked((long)c.Sequence), unchecked((long)c.SyncedSequence));
            }
            else if (changes.DeleteClient)
            {
                rows += Run(deleteClient, clientId);
            }

            foreach (var (key, entry) in changes.Entries)
            {
                rows += entry is null
                    ? Run(deleteEntry, clientId, key)
                    : Run(upsertEntry, clientId, key, unchecked((long)entry.Validator), entry.Size,
                        unchecked((long)entry.Sequence), entry.LastUsed.ToUnixTimeMilliseconds());
            }
        }

        return rows;
    }

    private static DbCommand Command(DbConnection connection, DbTransaction tx, string sql, int parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
#pragma warning disable CA2100 // Constant SQL; values go through parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        for (var i = 0; i < parameters; i++)
        {
            var p = command.CreateParameter();
            p.ParameterName = "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            command.Parameters.Add(p);
        }

        return command;
    }

    private static int Run(DbCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        command.ExecuteNonQuery();
        return 1;
    }
}
