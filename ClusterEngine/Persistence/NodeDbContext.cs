using ClusterEngine.Persistence.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace ClusterEngine.Persistence;

/// <summary>
/// EF Core model of one node's database (docs/architecture.md §9): members, assignments (with removal
/// tombstones), cache mirrors (one row per client, its entries packed) and the retry tags the node keeps as a claim holder, and facts about the store itself (which cluster key wrote it). The schema is created and
/// upgraded by migrations only, one migration set per provider: each provider has its own subclass
/// (<see cref="SqliteNodeDbContext"/>, <see cref="PostgreSqlNodeDbContext"/>) that owns its migrations
/// (EF Core's "migrations with multiple providers", one context type per provider). Create contexts
/// through <c>IDbContextFactory&lt;NodeDbContext&gt;</c>, one short-lived context per operation; the
/// engine itself never reads it on the request path.
/// </summary>
/// <param name="options">Options built by the single provider choice (<see cref="NodeDatabaseProvider"/>).</param>
public abstract class NodeDbContext(DbContextOptions options) : DbContext(options)
{
    // A stored value no DateTimeOffset holds (a damaged or edited row) reads as the latest time there is, which a restore
    // takes as "now" (ClusterState.RestoreSeen never goes past now): it threw while the rows were read, and the node could
    // not start.
    private static readonly ValueConverter<DateTimeOffset, long> UnixMilliseconds = new(
        v => v.ToUnixTimeMilliseconds(),
        v => DateTimeOffset.FromUnixTimeMilliseconds(v >= 0 && v <= 253_402_300_799_999 ? v : 253_402_300_799_999));

    /// <summary>Table <c>Members</c>.</summary>
    public DbSet<MemberRow> Members => Set<MemberRow>();

    /// <summary>Table <c>Assignments</c>.</summary>
    public DbSet<AssignmentRow> Assignments => Set<AssignmentRow>();

    /// <summary>Table <c>Mirrors</c>.</summary>
    public DbSet<MirrorRow> Mirrors => Set<MirrorRow>();

    /// <summary>Table <c>RetryTags</c>.</summary>
    public DbSet<RetryTagRow> RetryTags => Set<RetryTagRow>();

    /// <summary>Table <c>StoreFacts</c>.</summary>
    public DbSet<StoreFactRow> StoreFacts => Set<StoreFactRow>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.Entity<MemberRow>(e =>
        {
            e.ToTable("Members");
            e.HasKey(m => m.NodeId);
            e.Property(m => m.Mode).HasConversion<int>();
        });
        modelBuilder.Entity<AssignmentRow>(e =>
        {
            e.ToTable("Assignments");
            e.HasKey(a => a.ClientId);
            e.Property(a => a.Reason).HasConversion<int>();
            e.Property(a => a.LastSeenUtc).HasConversion(UnixMilliseconds);
        });
        modelBuilder.Entity<MirrorRow>(e =>
        {
            e.ToTable("Mirrors");
            e.HasKey(m => m.ClientId);
        });
        modelBuilder.Entity<StoreFactRow>(e =>
        {
            e.ToTable("StoreFacts");
            e.HasKey(f => f.Name);
        });
        modelBuilder.Entity<RetryTagRow>(e =>
        {
            e.ToTable("RetryTags");
            e.HasKey(t => t.ClientId);
            e.Property(t => t.GrantedAtUtc).HasConversion(UnixMilliseconds);
            e.Property(t => t.UntilUtc).HasConversion(UnixMilliseconds);
        });
    }
}
