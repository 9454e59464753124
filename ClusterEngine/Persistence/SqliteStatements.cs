using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ClusterEngine.Persistence;

/// <summary>
/// One value of a write statement, without boxing: null, text, an integer (<see cref="int"/>, <see cref="long"/> or
/// <see cref="bool"/>, kept apart for PostgreSQL's column types) or a blob. <see cref="BatchSql"/> passes a statement's
/// values as a span of these; SQLite binds them by position, Npgsql gets <see cref="ToParameterValue"/>.
/// </summary>
internal readonly struct SqlValue
{
    private readonly object? _reference; // string or byte[]
    private readonly long _integer;
    private readonly Kind _kind;

    private SqlValue(Kind kind, object? reference, long integer) => (_kind, _reference, _integer) = (kind, reference, integer);

    private enum Kind : byte
    {
        Null,
        Text,
        Int32,
        Int64,
        Boolean,
        Blob,
    }

    public static implicit operator SqlValue(string? value) => value is null ? default : new(Kind.Text, value, 0);

    public static implicit operator SqlValue(byte[]? value) => value is null ? default : new(Kind.Blob, value, 0);

    public static implicit operator SqlValue(int value) => new(Kind.Int32, null, value);

    public static implicit operator SqlValue(long value) => new(Kind.Int64, null, value);

    public static implicit operator SqlValue(bool value) => new(Kind.Boolean, null, value ? 1 : 0);

    /// <summary>The value as an ADO.NET parameter value (<see cref="DBNull"/> for null).</summary>
    public object ToParameterValue() => _kind switch
    {
        Kind.Null => DBNull.Value,
        Kind.Int32 => (int)_integer,
        Kind.Int64 => _integer,
        Kind.Boolean => _integer != 0,
        _ => _reference!,
    };

    /// <summary>Binds the value to parameter <paramref name="index"/> (1-based) of <paramref name="statement"/>; returns SQLite's result code.</summary>
    /// <remarks>Integers and booleans as SQLite integers, as Microsoft.Data.Sqlite binds them.</remarks>
    public int BindTo(sqlite3_stmt statement, int index) => _kind switch
    {
        Kind.Null => raw.sqlite3_bind_null(statement, index),
        Kind.Text => raw.sqlite3_bind_text(statement, index, (string)_reference!),
        Kind.Blob => raw.sqlite3_bind_blob(statement, index, (byte[])_reference!),
        _ => raw.sqlite3_bind_int64(statement, index, _integer),
    };
}

/// <summary>
/// The write statements of one SQLite batch (<see cref="BatchSql"/>), run on the connection's own handle: each SQL text is
/// prepared once, then for every row its values are bound by position, the statement stepped once and reset. Through
/// <c>SqliteCommand</c> every row built a data reader, a binder object per parameter and looked each parameter up by name
/// in SQLite (with its values boxed): the node's writer thread spent more time there than in SQLite itself (README "Data
/// path figures", new sessions). Waiting on a locked database is SQLite's own <c>busy_timeout</c>, set on every
/// connection (<see cref="SqlitePragmaInterceptor"/>); any result but <c>SQLITE_DONE</c> throws
/// <see cref="SqliteException"/>, as the command did. Not thread-safe: the writer's thread only.
/// </summary>
internal sealed class SqliteStatements(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, (sqlite3_stmt Statement, int[] Positions)> _prepared = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="sql"/> (one statement with parameters <c>@p0</c>, <c>@p1</c>, …) with <paramref name="values"/> in that order.</summary>
    /// <exception cref="SqliteException">SQLite refused the statement, a value, or the step (locked past the busy timeout, disk full, …).</exception>
    /// <exception cref="InvalidOperationException">The SQL has no parameter <c>@p{i}</c> for a value, or was run before with another number of values.</exception>
    public void Run(string sql, ReadOnlySpan<SqlValue> values)
    {
        var handle = connection.Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
        if (!_prepared.TryGetValue(sql, out var prepared))
        {
            SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(handle, sql, out var fresh), handle);
            prepared = (fresh, Positions(fresh, values.Length));
            _prepared[sql] = prepared;
        }

        var (statement, positions) = prepared;
        if (positions.Length != values.Length)
        {
            throw new InvalidOperationException($"The statement takes {positions.Length} values, not {values.Length}.");
        }

        try
        {
            for (var i = 0; i < values.Length; i++)
            {
                SqliteException.ThrowExceptionForRC(values[i].BindTo(statement, positions[i]), handle);
            }

            var rc = raw.sqlite3_step(statement);
            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, handle);
            }
        }
        finally
        {
            raw.sqlite3_reset(statement);
        }
    }

    public void Dispose()
    {
        foreach (var (statement, _) in _prepared.Values)
        {
            statement.Dispose();
        }

        _prepared.Clear();
    }

    /// <summary>SQLite's 1-based position of <c>@p0 … @p{count-1}</c> in the prepared statement (looked up once per SQL text and batch).</summary>
    private static int[] Positions(sqlite3_stmt statement, int count)
    {
        var positions = new int[count];
        for (var i = 0; i < count; i++)
        {
            var name = "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            positions[i] = raw.sqlite3_bind_parameter_index(statement, name);
            if (positions[i] == 0)
            {
                statement.Dispose();
                throw new InvalidOperationException($"The statement has no parameter {name}.");
            }
        }

        return positions;
    }
}
