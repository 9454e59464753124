namespace ClusterEngine.Persistence;

/// <summary>
/// Tuning of the node database and its background writer. The database file is
/// <c>{ClusterOptions.DataDirectory}/node.db</c>; these values only shape how changes reach it.
/// </summary>
public sealed class PersistenceOptions
{
    /// <summary>Database file name inside the data directory.</summary>
    public const string DatabaseFileName = "node.db";

    /// <summary>Longest time a change waits in the queue before its batch is written. Default 100 ms.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Changes (before coalescing) after which a batch is written at once. Default 2000; must be &gt; 0.</summary>
    public int MaxBatchSize { get; set; } = 2000;

    /// <summary>
    /// Changes the queue holds before <see cref="PersistenceWriter.Enqueue(ClusterEngine.Placement.AssignmentDelta)"/>
    /// has to wait for room (back-pressure; nothing is dropped). Default 100 000; must be &gt; 0.
    /// </summary>
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>How long a command waits for a lock held by another connection (SQLite <c>busy_timeout</c>). Default 5 s.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
