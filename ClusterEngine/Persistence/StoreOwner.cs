using System.Security.Cryptography;
using System.Text;
using ClusterEngine.Persistence.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ClusterEngine.Persistence;

/// <summary>What <see cref="StoreOwner.Decide"/> found.</summary>
public enum StoreOwnership
{
    /// <summary>Written with this node's <c>Cluster:Key</c>: start.</summary>
    Same,

    /// <summary>New, written before the check existed, or written with one of <c>Cluster:AcceptedKeys</c> (a key change under way): start and record <c>Cluster:Key</c>.</summary>
    Record,

    /// <summary>Written with a key this node neither uses nor accepts: another cluster's store. Refuse to start.</summary>
    Foreign,
}

/// <summary>
/// Which cluster a node's store belongs to. The store records a fingerprint of the cluster key it was written with (table
/// <c>StoreFacts</c>); a node started on a store written with a key it neither uses nor accepts refuses to start
/// (<see cref="StoreRefusedException"/>, exit code 2) before anything is restored. Found by attack: a node restarted on
/// another cluster's data directory merged that cluster's assignments — newer registrations of the same ids — into its
/// cluster, and every device of those ids was refused everywhere (401, its token "of an earlier registration"); with
/// that cluster's member URLs it even served as a cluster of its own, so a new id got two primaries. A key change
/// (docs/identity.md, "Changing the cluster key") passes: a store of a key in <c>Cluster:AcceptedKeys</c> is taken and
/// recorded with the new <c>Cluster:Key</c>. Two clusters that share one key cannot be told apart this way.
/// </summary>
public sealed class StoreOwner
{
    /// <summary>The <c>StoreFacts</c> row that holds the fingerprint.</summary>
    public const string FingerprintFact = "ClusterKeyFingerprint";

    private readonly IDbContextFactory<NodeDbContext> _factory;
    private readonly NodeDatabase _database;
    private readonly NodeDatabaseTarget _target;
    private readonly IReadOnlyList<string> _keys;
    private readonly ILogger _logger;

    internal StoreOwner(IDbContextFactory<NodeDbContext> factory, NodeDatabase database, NodeDatabaseTarget target, ClusterOptions options, ILogger<StoreOwner> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_factory, _database, _target, _keys, _logger) = (factory, database, target, options.Key is null ? [] : options.VerificationKeys(), logger);
    }

    /// <summary>
    /// The fingerprint of <paramref name="key"/>: HMAC-SHA256 keyed with it over a fixed label, first 16 bytes as 32 hex
    /// digits. It tells keys apart without revealing one (a reader of the store cannot sign with it).
    /// </summary>
    public static string Fingerprint(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), "ClusterPortal store owner v1"u8);
        return Convert.ToHexStringLower(mac.AsSpan(0, 16));
    }

    /// <summary>
    /// Decides from what the store holds: <paramref name="stored"/> (its fingerprint, null when none is recorded) and
    /// <paramref name="keys"/> (<c>Cluster:Key</c> first, then <c>Cluster:AcceptedKeys</c>). A store without a fingerprint
    /// is new or older than the check: it is taken (nothing tells whose it is).
    /// </summary>
    public static StoreOwnership Decide(string? stored, IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (stored is null)
        {
            return StoreOwnership.Record;
        }

        for (var i = 0; i < keys.Count; i++)
        {
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(stored), Encoding.ASCII.GetBytes(Fingerprint(keys[i]))))
            {
                return i == 0 ? StoreOwnership.Same : StoreOwnership.Record;
            }
        }

        return StoreOwnership.Foreign;
    }

    /// <summary>
    /// Checks the store (migrating it first) and records this node's key when <see cref="Decide"/> says so. Does nothing for
    /// a node without <c>Cluster:Key</c> (an engine without a backplane).
    /// </summary>
    /// <exception cref="StoreRefusedException">The store was written with a key this node neither uses nor accepts.</exception>
    public async Task EnsureAsync(CancellationToken cancellationToken = default)
    {
        if (_keys.Count == 0)
        {
            return;
        }

        await _database.EnsureReadyAsync(cancellationToken);
        await using var db = await _factory.CreateDbContextAsync(cancellationToken);
        var row = await db.StoreFacts.SingleOrDefaultAsync(f => f.Name == FingerprintFact, cancellationToken);
        switch (Decide(row?.Value, _keys))
        {
            case StoreOwnership.Same:
                return;
            case StoreOwnership.Foreign:
                throw new StoreRefusedException(
                    $"the store {_target.Description} was written by a member of another cluster: neither Cluster:Key nor Cluster:AcceptedKeys is the key "
                    + "it was written with, so its clients and members are not this cluster's. Move it away (the node then starts empty and gets its "
                    + "clients from its peers), or start with the key it was written with (changing a cluster's key: docs/identity.md).");
        }

        if (row is null)
        {
            db.StoreFacts.Add(new StoreFactRow { Name = FingerprintFact, Value = Fingerprint(_keys[0]) });
        }
        else
        {
            row.Value = Fingerprint(_keys[0]);
            PersistenceLog.StoreKeyChanged(_logger, _target.Description);
        }

        await db.SaveChangesAsync(cancellationToken);
    }
}
