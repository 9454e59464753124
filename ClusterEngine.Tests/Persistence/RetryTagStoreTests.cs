using ClusterEngine.Changes;
using ClusterEngine.Persistence;
using ClusterEngine.Placement;
using ClusterEngine.Membership;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Persistence;

/// <summary>
/// docs/identity.md, "A lost announce answer": the retry tags a claim holder keeps are stored (table <c>RetryTags</c>) and a
/// restarted holder takes back those that still hold against its restored assignments. Before, a restart forgot them all,
/// and a node alone — its ids' only holder — answered a device that lost its 201 in the crash with 401.
/// </summary>
public abstract class RetryTagStoreTests : StoreTestBase
{
    private static readonly ClusterOptions Options = new() { AnnounceRetryWindow = TimeSpan.FromMinutes(10) };

    [Fact]
    public async Task A_restarted_holder_recognises_the_tags_it_kept_and_only_those_that_still_hold()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var original = View(clock);
        var tag = new Dictionary<string, string>();
        long reregistered;
        await using (var store = await StartStoreAsync())
        {
            var tags = new RetryTags(Microsoft.Extensions.Options.Options.Create(Options), clock, new RetryTagPersistence(store.Writer));
            void Register(string id, bool bind)
            {
                tag[id] = AnnounceRetry.Tag($"key-of-{id}-0123456789");
                tags.Granted(id, $"claim-{id}", tag[id]);
                var change = original.Announce(id).Change!;
                store.Writer.Enqueue(change);
                if (bind)
                {
                    tags.OnChange(new AssignmentsChanged([change], Local: true));
                }
            }

            Register("expired", bind: true);
            clock.Advance(TimeSpan.FromMinutes(6));
            Register("bound", bind: true);
            Register("unbound", bind: false); // the crash came between the assignment and the tag's binding
            Register("released", bind: false);
            tags.Released("released", "claim-released");
            Register("reregistered", bind: true);

            // While this holder was away the id was removed and another device registered it; the holder's tag still names
            // the first registration.
            store.Writer.Enqueue(original.Remove("reregistered")!);
            clock.Advance(TimeSpan.FromSeconds(1));
            var again = original.Announce("reregistered").Change!;
            reregistered = again.Registration;
            store.Writer.Enqueue(again);
            await store.Writer.FlushAsync();
            Assert.Equal(4, tags.Count); // expired (not yet), bound, unbound, reregistered
        }

        clock.Advance(TimeSpan.FromMinutes(5)); // "expired" is 11 minutes old, the others 5
        await using var restarted = await StartStoreAsync();
        var rebuilt = View(clock);
        await restarted.Loader.RestoreAsync(rebuilt);
        var kept = new RetryTags(Microsoft.Extensions.Options.Options.Create(Options), clock, new RetryTagPersistence(restarted.Writer));
        Assert.Equal(2, kept.Restore(await restarted.Loader.ReadRetryTagsAsync(), rebuilt));

        bool Matches(string id) => kept.Matches(id, tag[id], rebuilt.GetAssignment(id)!.Registration);
        Assert.True(Matches("bound"));
        Assert.True(Matches("unbound"));
        Assert.False(Matches("expired"));
        Assert.False(Matches("released"));
        Assert.False(Matches("reregistered"));
        Assert.Equal(reregistered, rebuilt.GetAssignment("reregistered")!.Registration);

        await restarted.Writer.FlushAsync(); // the tags that no longer hold are deleted from the store too
        Assert.Equal(["bound", "unbound"], (await restarted.Loader.ReadRetryTagsAsync()).Select(t => t.ClientId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_removal_or_a_window_turned_off_leaves_no_stored_tag()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var state = View(clock);
        await using var store = await StartStoreAsync();
        var tags = new RetryTags(Microsoft.Extensions.Options.Options.Create(Options), clock, new RetryTagPersistence(store.Writer));
        tags.Granted("gone", "claim-1", AnnounceRetry.Tag("key-of-gone-0123456789"));
        var placed = state.Announce("gone").Change!;
        tags.OnChange(new AssignmentsChanged([placed], Local: true));
        await store.Writer.FlushAsync();
        Assert.Equal(placed.Registration, Assert.Single(await store.Loader.ReadRetryTagsAsync()).Registration);

        tags.OnChange(new AssignmentsChanged([state.Remove("gone")!], Local: true));
        await store.Writer.FlushAsync();
        Assert.Empty(await store.Loader.ReadRetryTagsAsync());

        // With the window turned off after a restart (Cluster:AnnounceRetryWindow = 0) a stored tag opens nothing.
        tags.Granted("later", "claim-2", AnnounceRetry.Tag("key-of-later-0123456789"));
        await store.Writer.FlushAsync();
        var off = new RetryTags(Microsoft.Extensions.Options.Options.Create(new ClusterOptions { AnnounceRetryWindow = TimeSpan.Zero }), clock,
            new RetryTagPersistence(store.Writer));
        state.Announce("later");
        Assert.Equal(0, off.Restore(await store.Loader.ReadRetryTagsAsync(), state));
        await store.Writer.FlushAsync();
        Assert.Empty(await store.Loader.ReadRetryTagsAsync());
    }

    [Fact]
    public async Task Damaged_stored_tags_are_left_out_and_the_node_still_starts()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var state = View(clock);
        var placed = state.Announce("edited").Change!;
        state.Announce("edge"); // ids that exist: their tags reach the registration check
        state.Announce("early");
        await using (var store = await StartStoreAsync())
        {
            store.Writer.Enqueue(placed);
            await store.Writer.FlushAsync();
        }

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using (var raw = await Location.OpenRawAsync())
        {
            await using var insert = raw.CreateCommand();
            insert.CommandText = $"""
                INSERT INTO "RetryTags" ("ClientId", "Tag", "ClaimId", "GrantedAtUtc", "UntilUtc", "Registration")
                VALUES ('edited', 'not-a-tag', 'c1', {now}, {now + 60_000}, {placed.Registration}),
                       ('far', '{AnnounceRetry.Tag("key-of-far-0123456789")}', 'c2', -5, 9223372036854775807, 0),
                       ('edge', '{AnnounceRetry.Tag("key-of-edge-0123456789")}', 'c3', 253402300799999, 253402300799999, 0),
                       ('early', '{AnnounceRetry.Tag("key-of-early-0123456789")}', 'c4', 0, {now + 60_000}, 0)
                """;
            await insert.ExecuteNonQueryAsync();
        }

        await using var restarted = await StartStoreAsync();
        var stored = await restarted.Loader.ReadRetryTagsAsync();
        Assert.Equal(DateTimeOffset.MinValue, stored.Single(t => t.ClientId == "far").GrantedAt); // a time that cannot be one: over
        var tags = new RetryTags(Microsoft.Extensions.Options.Options.Create(Options), clock, new RetryTagPersistence(restarted.Writer));
        Assert.Equal(0, tags.Restore(stored, state)); // none is kept: not a tag, or a time that is no grant of this window
        await restarted.Writer.FlushAsync();
        Assert.Empty(await restarted.Loader.ReadRetryTagsAsync()); // and the rows are gone
    }

    [Fact]
    public async Task A_window_shortened_since_the_grant_applies_to_the_restored_tags()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var state = View(clock);
        var tag = AnnounceRetry.Tag("key-of-short-0123456789");
        await using var store = await StartStoreAsync();
        var tags = new RetryTags(Microsoft.Extensions.Options.Options.Create(Options), clock, new RetryTagPersistence(store.Writer));
        tags.Granted("short", "claim-1", tag);
        var placed = state.Announce("short").Change!;
        tags.OnChange(new AssignmentsChanged([placed], Local: true));
        await store.Writer.FlushAsync();

        clock.Advance(TimeSpan.FromMinutes(2));
        var shorter = new ClusterOptions { AnnounceRetryWindow = TimeSpan.FromMinutes(3) };
        var restored = new RetryTags(Microsoft.Extensions.Options.Options.Create(shorter), clock, new RetryTagPersistence(store.Writer));
        Assert.Equal(1, restored.Restore(await store.Loader.ReadRetryTagsAsync(), state));
        Assert.True(restored.Matches("short", tag, placed.Registration));
        clock.Advance(TimeSpan.FromMinutes(1.5)); // 3.5 minutes after the grant: past the new window, within the old one
        Assert.False(restored.Matches("short", tag, placed.Registration));

        var none = new RetryTags(Microsoft.Extensions.Options.Options.Create(shorter), clock, new RetryTagPersistence(store.Writer));
        Assert.Equal(0, none.Restore(await store.Loader.ReadRetryTagsAsync(), state)); // restored after it: over, and deleted
        await store.Writer.FlushAsync();
        Assert.Empty(await store.Loader.ReadRetryTagsAsync());
    }

    private static ClusterState View(TimeProvider clock)
    {
        var state = new ClusterState("n1", Options, time: clock);
        state.AddOrUpdateNode(new NodeInfo("n1", "http://127.0.0.1:5101", 100, Order: 0));
        return state;
    }
}

/// <summary><see cref="RetryTagStoreTests"/> on SQLite.</summary>
public sealed class RetryTagStoreTestsSqlite : RetryTagStoreTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.Sqlite;
}

/// <summary><see cref="RetryTagStoreTests"/> on PostgreSQL (a real server: <c>ClusterPortal.Testing.PostgresServer</c>).</summary>
[Trait("Category", "Process")]
public sealed class RetryTagStoreTestsPostgreSql : RetryTagStoreTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.PostgreSql;
}
