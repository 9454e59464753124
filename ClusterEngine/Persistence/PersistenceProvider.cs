namespace ClusterEngine.Persistence;

/// <summary>The database a node keeps its state in (<c>Persistence:Provider</c>).</summary>
public enum PersistenceProvider
{
    /// <summary>SQLite file <c>{Cluster:DataDirectory}/node.db</c> (the default; one machine, the local cluster).</summary>
    Sqlite,

    /// <summary>PostgreSQL at <c>Persistence:ConnectionString</c>, in the node's own schema (<c>Persistence:Schema</c>).</summary>
    PostgreSql,
}
