using ClusterEngine.Persistence;

namespace ClusterEngine.Tests.Persistence;

/// <summary>
/// <see cref="StoreOwner"/>: a node refuses to start on a store written with a cluster key it neither uses nor accepts
/// (found by attack: another cluster's data directory merged that cluster's registrations into this one, locking devices
/// out and, with that cluster's member URLs, serving as a second cluster with two primaries per id).
/// </summary>
public abstract class StoreOwnerTests : StoreTestBase
{
    private const string Ours = "our-cluster-key-0123456789abcdef";
    private const string Next = "our-next-cluster-key-0123456789ab";
    private const string Theirs = "their-cluster-key-0123456789abcd";

    [Fact]
    public async Task A_store_is_recorded_with_the_key_it_is_first_opened_with_and_refused_to_another_cluster()
    {
        await using (var store = await StartStoreAsync())
        {
            await store.Owner(Ours).EnsureAsync(); // new: recorded
            await store.Owner(Ours).EnsureAsync(); // the same key: taken
            var refused = await Assert.ThrowsAsync<StoreRefusedException>(() => store.Owner(Theirs).EnsureAsync());
            Assert.Contains("was written by a member of another cluster", refused.Message, StringComparison.Ordinal);
            Assert.Contains(store.Target.Description, refused.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Theirs, refused.Message, StringComparison.Ordinal); // no key is ever shown
            Assert.DoesNotContain(Ours, refused.Message, StringComparison.Ordinal);
        }

        // A key change (docs/identity.md): the new key with the old one accepted takes the store and records the new key;
        // from then on the new key alone is enough and the old one alone is another cluster's.
        await using var restarted = await StartStoreAsync();
        await restarted.Owner(Next, Ours).EnsureAsync();
        await restarted.Owner(Next).EnsureAsync();
        await Assert.ThrowsAsync<StoreRefusedException>(() => restarted.Owner(Ours).EnsureAsync());
        await using var raw = await Location.OpenRawAsync();
        await using var read = raw.CreateCommand();
        read.CommandText = """SELECT "Value" FROM "StoreFacts" WHERE "Name" = 'ClusterKeyFingerprint'""";
        Assert.Equal(StoreOwner.Fingerprint(Next), await read.ExecuteScalarAsync());
    }

    [Fact]
    public void The_decision_takes_a_new_store_the_same_key_and_an_accepted_one_and_nothing_else()
    {
        Assert.Equal(StoreOwnership.Record, StoreOwner.Decide(null, [Ours]));
        Assert.Equal(StoreOwnership.Same, StoreOwner.Decide(StoreOwner.Fingerprint(Ours), [Ours, Next]));
        Assert.Equal(StoreOwnership.Record, StoreOwner.Decide(StoreOwner.Fingerprint(Next), [Ours, Next]));
        Assert.Equal(StoreOwnership.Foreign, StoreOwner.Decide(StoreOwner.Fingerprint(Theirs), [Ours, Next]));
        Assert.Equal(StoreOwnership.Foreign, StoreOwner.Decide("not a fingerprint", [Ours]));
        Assert.NotEqual(StoreOwner.Fingerprint(Ours), StoreOwner.Fingerprint(Next));
        Assert.Matches("^[0-9a-f]{32}$", StoreOwner.Fingerprint(Ours));
    }
}

/// <summary><see cref="StoreOwnerTests"/> on SQLite.</summary>
public sealed class StoreOwnerTestsSqlite : StoreOwnerTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.Sqlite;
}

/// <summary><see cref="StoreOwnerTests"/> on PostgreSQL (a real server: <c>ClusterPortal.Testing.PostgresServer</c>).</summary>
[Trait("Category", "Process")]
public sealed class StoreOwnerTestsPostgreSql : StoreOwnerTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.PostgreSql;
}
