using ClusterPortal.Hosting;
using ClusterPortal.Tests.Support;
using Npgsql;

namespace ClusterPortal.Tests.Startup;

/// <summary>
/// A PostgreSQL node keeps its schema's lock for its whole life (docs/persistence.md, "Row ownership on PostgreSQL"): a lock session
/// that ends under a running node — a server restart, a broken connection, here an administrator's
/// <c>pg_terminate_backend</c>, which the node sees exactly as it sees a restart — is replaced, and a node that finds its
/// schema taken by another session meanwhile stops with exit code 2. Before <see cref="NodeLockWatch"/> the node went on
/// without the lock and a second node with its id started on the same rows.
/// </summary>
[Trait("Category", "Process")]
public sealed class SchemaLockWatchTests
{
    private const string NodeId = "lockwatch-1";

    [Fact]
    public async Task A_node_whose_lock_session_ends_takes_the_lock_again_and_keeps_serving()
    {
        var server = await PostgresServer.Shared;
        await using var database = await server.CreateDatabaseAsync();
        using var data = new TempDir();
        using var node = StartNode(database.ConnectionString, data.Path);
        using var http = new HttpClient { BaseAddress = new Uri(await AdvertisedUrlAsync(node)) };
        await ReadyAsync(http, node);
        var first = await HolderAsync(database.ConnectionString, node, pid => pid is not null);

        await using (var admin = await OpenAsync(database.ConnectionString))
        {
            await using var end = new NpgsqlCommand("SELECT pg_terminate_backend($1)", admin) { Parameters = { new() { Value = first!.Value } } };
            Assert.Equal(true, await end.ExecuteScalarAsync());
        }

        var second = await HolderAsync(database.ConnectionString, node, pid => pid is not null && pid != first);
        await node.WaitForOutputAsync("a new session took the lock again", 30);
        await ReadyAsync(http, node); // the node serves on, under the new session
        await using (var admin = await OpenAsync(database.ConnectionString))
        {
            // The new session is the lock's only holder, with the node's name.
            await using var count = new NpgsqlCommand(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'ClusterPortal lock: %' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                admin);
            Assert.Equal(1L, await count.ExecuteScalarAsync());
        }

        var exit = await node.TerminateAsync();
        Assert.True(exit == 0, $"exit {exit}\n{node.Output}");
        Assert.DoesNotContain("   at ", node.Output, StringComparison.Ordinal);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task A_node_whose_schema_was_taken_while_its_lock_session_was_gone_stops_with_exit_2_naming_the_holder()
    {
        var server = await PostgresServer.Shared;
        await using var database = await server.CreateDatabaseAsync();
        using var data = new TempDir();
        using var node = StartNode(database.ConnectionString, data.Path);
        var first = await HolderAsync(database.ConnectionString, node, pid => pid is not null);

        // One statement: the node's session is ended and this one waits for the lock at once, before the node can notice
        // (its next check) and open a new session: this session is the second node that took the schema meanwhile.
        var intruder = new NpgsqlConnectionStringBuilder(database.ConnectionString) { ApplicationName = "the second lockwatch-1", Pooling = false };
        await using var second = await OpenAsync(intruder.ConnectionString);
        await using (var take = new NpgsqlCommand("SELECT pg_terminate_backend($1), pg_advisory_lock($2)", second)
        {
            Parameters = { new() { Value = first!.Value }, new() { Value = SchemaLock.Key(NodeId) } },
        })
        {
            await take.ExecuteNonQueryAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await node.Process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the node did not stop within 60 s of losing its schema:\n{node.Output}");
        }

        node.Process.WaitForExit();
        Assert.True(node.Process.ExitCode == 2, $"exit {node.Process.ExitCode}\n{node.Output}");
        Assert.Contains($"schema \"{NodeId}\" was taken by 'the second lockwatch-1'", node.Output, StringComparison.Ordinal); // first it waits (1028)
        Assert.Contains("waiting up to 10 s for it to let go", node.Output, StringComparison.Ordinal);
        Assert.Contains($"Stopping: schema \"{NodeId}\" was taken by 'the second lockwatch-1'", node.Output, StringComparison.Ordinal);
        Assert.Contains("nothing more is written to it by this node", node.Output, StringComparison.Ordinal); // the leave writes nothing
        Assert.DoesNotContain("   at ", node.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_node_that_lets_the_schema_go_within_the_grace_leaves_the_node_running()
    {
        // Found by attack: a duplicate node-1 started just as the server came back took the lock before the node's next
        // check; the node stopped at once (exit 2, its 1,516 clients handed over), and 2 s later the cluster refused the
        // duplicate too (a live member owns the id): nobody was left on the schema. The node now waits TakenGrace.
        var server = await PostgresServer.Shared;
        await using var database = await server.CreateDatabaseAsync();
        using var data = new TempDir();
        using var node = StartNode(database.ConnectionString, data.Path);
        using var http = new HttpClient { BaseAddress = new Uri(await AdvertisedUrlAsync(node)) };
        await ReadyAsync(http, node);
        var first = await HolderAsync(database.ConnectionString, node, pid => pid is not null);

        var intruder = new NpgsqlConnectionStringBuilder(database.ConnectionString) { ApplicationName = "the duplicate lockwatch-1", Pooling = false };
        await using (var second = await OpenAsync(intruder.ConnectionString))
        {
            await using var take = new NpgsqlCommand("SELECT pg_terminate_backend($1), pg_advisory_lock($2)", second)
            {
                Parameters = { new() { Value = first!.Value }, new() { Value = SchemaLock.Key(NodeId) } },
            };
            await take.ExecuteNonQueryAsync();
            await node.WaitForOutputAsync("was taken by 'the duplicate lockwatch-1'", 30);
        } // the duplicate refused, its session ends

        await HolderAsync(database.ConnectionString, node, pid => pid is not null && pid != first);
        await node.WaitForOutputAsync("a new session took the lock again", 30);
        await ReadyAsync(http, node);
        Assert.DoesNotContain("Stopping:", node.Output, StringComparison.Ordinal);
        var exit = await node.TerminateAsync();
        Assert.True(exit == 0, $"exit {exit}\n{node.Output}");
    }

    [Fact]
    public async Task The_lock_session_asks_the_server_for_TCP_keepalive_so_a_vanished_holder_loses_the_lock()
    {
        // What ends a holder whose host vanished without closing its connection: the server's keepalive on that session,
        // set per session from Persistence:LockKeepAlive (the server's own default waits about two hours).
        var server = await PostgresServer.Shared;
        await using var database = await server.CreateDatabaseAsync();
        var options = new ClusterEngine.Persistence.PersistenceOptions
        {
            Provider = ClusterEngine.Persistence.PersistenceProvider.PostgreSql,
            ConnectionString = database.ConnectionString,
        };
        var target = ClusterEngine.Persistence.NodeDatabaseTarget.For("", "keepalive-1", options);
        using var held = SchemaLock.Acquire(target, "node-x on http://h:1", TimeSpan.FromSeconds(7));
        await using var admin = await OpenAsync(database.ConnectionString);
        await using var find = new NpgsqlCommand(
            "SELECT a.application_name FROM pg_stat_activity a WHERE a.datname = current_database() AND a.application_name LIKE 'ClusterPortal lock: %'", admin);
        Assert.Equal("ClusterPortal lock: node-x on http://h:1", await find.ExecuteScalarAsync());

        // The settings themselves are the session's own (SHOW in another session shows that one's): the same statement the
        // lock runs, on a session of the same connection string.
        await using var session = await OpenAsync(SchemaLock.SessionConnectionString(database.ConnectionString, "probe"));
        await using (var set = new NpgsqlCommand(SchemaLock.KeepAliveSql(TimeSpan.FromSeconds(7)), session))
        {
            await set.ExecuteNonQueryAsync();
        }

        async Task<string?> Show(string setting)
        {
            await using var show = new NpgsqlCommand($"SHOW {setting}", session);
            return (string?)await show.ExecuteScalarAsync();
        }

        Assert.Equal("7", await Show("tcp_keepalives_idle")); // a TCP session: over a Unix socket the server shows 0
        Assert.Equal("3", await Show("tcp_keepalives_interval"));
        Assert.Equal("3", await Show("tcp_keepalives_count"));
    }

    [Fact]
    public async Task A_node_stopped_while_it_starts_exits_0_without_calling_it_a_failed_stop()
    {
        // Found here: SIGTERM while the node was still starting (its store opened, about 0.7 s before "Application started")
        // printed "Stopped without finishing: the stop took longer than the shutdown timeout" and exited 1. The signal goes
        // from the output reader the moment the store is opened; a start that still finished first (a busy machine: a CI
        // run saw it) proves nothing and is tried again, up to three times.
        var server = await PostgresServer.Shared;
        await using var database = await server.CreateDatabaseAsync();
        var outputs = new List<string>();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            using var data = new TempDir();
            using var node = StartNode(database.ConnectionString, data.Path);
            var sent = 0;
            node.LineReceived += line =>
            {
                if (line.Contains("NodeDatabase[5002]", StringComparison.Ordinal) && Interlocked.Exchange(ref sent, 1) == 0)
                {
                    _ = Kill(node.Process.Id, 15); // SIGTERM, now: no process to spawn
                }
            };
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await node.Process.WaitForExitAsync(timeout.Token);
            node.Process.WaitForExit();

            Assert.True(node.Process.ExitCode == 0, $"exit {node.Process.ExitCode}\n{node.Output}");
            Assert.DoesNotContain("Stopped without finishing", node.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", node.Output, StringComparison.Ordinal);
            outputs.Add(node.Output);
            if (node.Output.Contains("Stopped before the start finished.", StringComparison.Ordinal))
            {
                return;
            }
        }

        Assert.Fail($"in three tries the signal never came before the start had finished:\n{string.Join("\n---\n", outputs)}");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static async Task<string> AdvertisedUrlAsync(PortalProcess node)
    {
        await node.WaitForOutputAsync($"Node {NodeId} advertises ", 120);
        var match = System.Text.RegularExpressions.Regex.Match(node.Output, $"Node {NodeId} advertises (http://\\S+)");
        Assert.True(match.Success, node.Output);
        return match.Groups[1].Value;
    }

    private static Task ReadyAsync(HttpClient http, PortalProcess node) =>
        Eventually.True(async () =>
        {
            Assert.False(node.Process.HasExited, $"the node exited (code {(node.Process.HasExited ? node.Process.ExitCode : 0)}):\n{node.Output}");
            using var ready = await http.GetAsync("/health/ready");
            return ready.IsSuccessStatusCode;
        }, "/health/ready 200", 60_000, () => node.Output);

    private static PortalProcess StartNode(string connectionString, string dataDirectory) =>
        PortalProcess.Start(dataDirectory,
            $"--Cluster:NodeId={NodeId}", "--urls=http://127.0.0.1:0", "--Cluster:Key=0123456789abcdef0123456789abcdef",
            "--Portal:AdminKey=0123456789abcdef-admin", $"--Cluster:DataDirectory={dataDirectory}",
            "--Persistence:Provider=PostgreSql", $"--Persistence:ConnectionString={connectionString}",
            "--Persistence:LockCheckInterval=00:00:00.200");

    /// <summary>Waits until the schema's lock has a holder <paramref name="wanted"/> accepts; returns its server pid.</summary>
    private static async Task<int?> HolderAsync(string connectionString, PortalProcess node, Func<int?, bool> wanted)
    {
        int? pid = null;
        await Eventually.True(async () =>
        {
            Assert.False(node.Process.HasExited, $"the node exited (code {(node.Process.HasExited ? node.Process.ExitCode : 0)}):\n{node.Output}");
            pid = await SchemaLockProbe.HolderPidAsync(connectionString, NodeId);
            return wanted(pid);
        }, "the schema lock's holder", 60_000, () => node.Output);
        return pid;
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
