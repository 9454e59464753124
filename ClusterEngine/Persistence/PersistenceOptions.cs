namespace ClusterEngine.Persistence;

/// <summary>
/// Where a node keeps its state and how changes reach it, bound from the <c>Persistence</c> configuration section
/// and validated at start by <see cref="PersistenceOptionsValidator"/> (messages name the key). With
/// <see cref="PersistenceProvider.Sqlite"/> the database is <c>{Cluster:DataDirectory}/node.db</c>; with
/// <see cref="PersistenceProvider.PostgreSql"/> it is the schema <see cref="Schema"/> of the database at
/// <see cref="ConnectionString"/>. See docs/persistence.md.
/// </summary>
public sealed class PersistenceOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Persistence";

    /// <summary>SQLite database file name inside the data directory.</summary>
    public const string DatabaseFileName = "node.db";

    /// <summary>Longest a PostgreSQL schema name may be (PostgreSQL's identifier limit, bytes; the names allowed are ASCII).</summary>
    public const int MaxSchemaLength = 63;

    /// <summary>The database: <see cref="PersistenceProvider.Sqlite"/> (default) or <see cref="PersistenceProvider.PostgreSql"/>.</summary>
    public PersistenceProvider Provider { get; set; } = PersistenceProvider.Sqlite;

    /// <summary>
    /// Npgsql connection string of an existing database (required for PostgreSQL, unused for SQLite), e.g.
    /// <c>Host=db;Port=5432;Database=clusterportal;Username=portal;Password=…</c>. The node creates its schema and
    /// tables on first start; the role needs <c>CREATE</c> on the database (or an existing schema it owns).
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// PostgreSQL schema of this node's tables and Hangfire jobs: 1–63 characters of <c>A-Za-z0-9._-</c>, not starting
    /// with <c>pg_</c>. Default: the node id, so nodes sharing one database never touch each other's rows.
    /// </summary>
    public string? Schema { get; set; }

    /// <summary>Longest time a change waits in the queue before its batch is written. Default 100 ms; 1 ms – 10 s.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Longest an answer waits for its commit (a new client's 201, <see cref="PersistenceWriter.WhenStoredAsync"/>). A
    /// commit still running after it counts as a failure: the answers waiting for it and for the batch behind it are sent
    /// (the clients are written when the commit completes) and the database is unavailable until a commit succeeds (new
    /// clients 503, <c>/health/ready</c> Degraded; docs/persistence.md). Default 2 s; 250 ms – 1 min: below a healthy
    /// database's slowest commits it would count them as outages (an attack with 10 ms saw a healthy PostgreSQL "unavailable"
    /// 19 times in 20 s, commits of up to 153 ms).
    /// </summary>
    public TimeSpan CommitWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Changes (before coalescing) after which a batch is written at once. Default 2000; 1 – 1,000,000.</summary>
    public int MaxBatchSize { get; set; } = 2000;

    /// <summary>
    /// Changes that may wait behind a running (or retried) commit before the writer warns (event 3104, once until a
    /// commit succeeds). Nothing waits and nothing is dropped: the pending batch keeps the last write per key. Default
    /// 100 000; 1 – 100,000,000. (It bounded a queue that made callers wait before 2026-12-05; the key keeps its range.)
    /// </summary>
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>How long a command waits for a lock held by another connection (SQLite <c>busy_timeout</c>). Default 5 s; 1 ms – 10 min.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often the node checks its exclusive claims: its data directory's <c>node.lock</c> (taken again when the directory
    /// was deleted or moved under it), with SQLite its <c>node.db</c> (Degraded when gone), and with PostgreSQL its schema's
    /// lock (taken again when the session is gone: a server restart, a broken connection, a terminated backend). A node that
    /// finds a claim taken by another process meanwhile stops with exit code 2 (docs/persistence.md, "Row ownership on
    /// PostgreSQL" and "Start-up checks"). Default 5 s; 100 ms – 10 min.
    /// </summary>
    public TimeSpan LockCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// PostgreSQL only: the server's TCP keepalive idle time on the lock's session (probes then every half of it, three
    /// unanswered end the session), so a node whose host vanished without closing its connection (power loss, a cut
    /// network) gives its schema up after about 2.5 × this instead of the server's default of about two hours. Whole
    /// seconds; default 10 s; 1 s – 1 h.
    /// </summary>
    public TimeSpan LockKeepAlive { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The schema this node uses: <see cref="Schema"/>, or the node id.</summary>
    /// <param name="nodeId">The node's <c>Cluster:NodeId</c>.</param>
    public string SchemaFor(string nodeId) => string.IsNullOrEmpty(Schema) ? nodeId : Schema;
}
