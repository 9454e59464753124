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
            Assert.Contains("was written with a cluster key this node neither uses nor accepts", refused.Message, StringComparison.Ordinal);
            Assert.Contains(store.Target.Description, refused.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Theirs, refused.Message, StringComparison.Ordinal); // no key is ever shown
            Assert.DoesNotContain(Ours, refused.Message, StringComparison.Ordinal);
        }

        // A key change (docs/identity.md): round 2 (the new key, the old one accepted) records both; a node put back to its
        // round-1 setting by mistake still starts; round 3 (the new key alone) keeps only the new one, and the old key alone
        // is then another cluster's.
        await using var restarted = await StartStoreAsync();
        await restarted.Owner(Next, Ours).EnsureAsync();
        Assert.Equal(string.Join(',', new[] { StoreOwner.Fingerprint(Ours), StoreOwner.Fingerprint(Next) }.Order(StringComparer.Ordinal)), await RecordedAsync());
        await restarted.Owner(Ours).EnsureAsync();
        await restarted.Owner(Next, Ours).EnsureAsync();
        await restarted.Owner(Next).EnsureAsync();
        Assert.Equal(StoreOwner.Fingerprint(Next), await RecordedAsync());
        await Assert.ThrowsAsync<StoreRefusedException>(() => restarted.Owner(Ours).EnsureAsync());
    }

    [Fact]
    public async Task An_edited_record_fails_closed_and_duplicates_or_nulls_never_stop_the_start_with_an_exception()
    {
        await using var store = await StartStoreAsync();
        await store.Owner(Ours).EnsureAsync();
        await using (var raw = await Location.OpenRawAsync())
        {
            // Another row of the same name (the primary key dropped in an edit is simulated by a second name that the
            // reader joins in): the fact is read as every row's value joined.
            await using var edit = raw.CreateCommand();
            edit.CommandText = """UPDATE "StoreFacts" SET "Value" = 'garbage,' || "Value" """;
            await edit.ExecuteNonQueryAsync();
        }

        await store.Owner(Ours).EnsureAsync(); // still one of ours among garbage: taken, and the garbage dropped
        Assert.Equal(StoreOwner.Fingerprint(Ours), await RecordedAsync());
        await using (var raw = await Location.OpenRawAsync())
        {
            await using var edit = raw.CreateCommand();
            edit.CommandText = """UPDATE "StoreFacts" SET "Value" = '' """;
            await edit.ExecuteNonQueryAsync();
        }

        await Assert.ThrowsAsync<StoreRefusedException>(() => store.Owner(Ours).EnsureAsync()); // an emptied value: no key matches
    }

    [Fact]
    public void The_decision_keeps_the_recorded_keys_still_in_use_adds_the_current_one_and_takes_nothing_else()
    {
        string Join(params string[] keys) => string.Join(',', keys.Select(StoreOwner.Fingerprint).Order(StringComparer.Ordinal));
        Assert.Equal((StoreOwnership.Record, Join(Ours)), (StoreOwner.Decide(null, [Ours], out var r1), r1));
        Assert.Equal((StoreOwnership.Same, Join(Ours)), (StoreOwner.Decide(Join(Ours), [Ours, Next], out var r2), r2));
        Assert.Equal((StoreOwnership.Record, Join(Ours, Next)), (StoreOwner.Decide(Join(Next), [Ours, Next], out var r3), r3));
        Assert.Equal((StoreOwnership.Record, Join(Next)), (StoreOwner.Decide(Join(Ours, Next), [Next], out var r4), r4));
        Assert.Equal(StoreOwnership.Foreign, StoreOwner.Decide(Join(Theirs), [Ours, Next], out _));
        Assert.Equal(StoreOwnership.Foreign, StoreOwner.Decide("not a fingerprint", [Ours], out _));
        Assert.Equal(StoreOwnership.Foreign, StoreOwner.Decide(Join(Ours) + new string(',', 2000), [Ours], out _)); // too long: damaged
        Assert.NotEqual(StoreOwner.Fingerprint(Ours), StoreOwner.Fingerprint(Next));
        Assert.Matches("^[0-9a-f]{32}$", StoreOwner.Fingerprint(Ours));
    }

    private async Task<string?> RecordedAsync()
    {
        await using var raw = await Location.OpenRawAsync();
        await using var read = raw.CreateCommand();
        read.CommandText = """SELECT "Value" FROM "StoreFacts" WHERE "Name" = 'ClusterKeyFingerprint'""";
        return (string?)await read.ExecuteScalarAsync();
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
