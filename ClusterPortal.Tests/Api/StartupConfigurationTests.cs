using System.Diagnostics;
using ClusterPortal.Tests.Support;
using Npgsql;

namespace ClusterPortal.Tests.Api;

/// <summary>A node started with a bad setting stops at once with one line naming the key (no stack trace) and exit code 2.</summary>
[Trait("Category", "Process")]
public sealed class StartupConfigurationTests
{
    [Theory]
    [InlineData("--Portal:AdminKey=short", "Portal:AdminKey")]
    [InlineData("--Cluster:Capacity=0", "Cluster:Capacity")]
    [InlineData("--Persistence:Provider=PostgreSql", "Persistence:ConnectionString")]
    [InlineData("--Persistence:Provider=PostgreSql|--Persistence:ConnectionString=Hots=db", "Persistence:ConnectionString")]
    [InlineData("--Persistence:Provider=PostgreSql|--Persistence:ConnectionString=Database=x", "Persistence:ConnectionString")]
    [InlineData("--Persistence:Provider=PostgreSql|--Persistence:ConnectionString=Host=127.0.0.1;Port=1;Database=x;Username=u;Timeout=5", "Persistence:ConnectionString")]
    [InlineData("--Persistence:Provider=PostgreSql|--Persistence:ConnectionString=Host=127.0.0.1;Port=1|--Persistence:Schema=pg_catalog", "Persistence:Schema")]
    [InlineData("--Persistence:MaxDelay=00:00:00", "Persistence:MaxDelay")]
    [InlineData("--Persistence:CommitWait=00:00:00.100", "Persistence:CommitWait")]
    [InlineData("--Persistence:CommitWait=01:00:00", "Persistence:CommitWait")]
    public async Task A_bad_setting_stops_the_node_with_a_message_naming_the_key(string settings, string key)
    {
        var (exitCode, error, output) = await RunNodeAsync(settings.Split('|'));

        Assert.Equal(2, exitCode);
        Assert.Contains($"Configuration error: {key}", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error + output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_that_does_not_exist_or_refuses_the_login_stops_the_node_naming_the_key()
    {
        var server = await PostgresServer.Shared;
        var missing = new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Database = "no_such_database_" + Guid.NewGuid().ToString("N")[..8] };
        var (exitCode, error, output) = await RunNodeAsync(["--Persistence:Provider=PostgreSql", $"--Persistence:ConnectionString={missing.ConnectionString}"]);

        Assert.Equal(2, exitCode);
        Assert.Contains("Configuration error: Persistence:ConnectionString: cannot open the PostgreSQL database", error, StringComparison.Ordinal);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error + output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_node_on_a_PostgreSQL_schema_in_use_stops_with_exit_2_naming_the_holder()
    {
        // Found by attack: two nodes of one cluster on one schema (the same node id twice, or a copied Persistence:Schema)
        // were both admitted and shared each other's rows and jobs. SQLite had its node.lock; PostgreSQL now has a lock too.
        var server = await PostgresServer.Shared;
        await using var database = await server.CreateDatabaseAsync();
        var options = new ClusterEngine.Persistence.PersistenceOptions
        {
            Provider = ClusterEngine.Persistence.PersistenceProvider.PostgreSql,
            ConnectionString = database.ConnectionString,
        };
        var target = ClusterEngine.Persistence.NodeDatabaseTarget.For("", "bad-1", options); // the schema of RunNodeAsync's node id
        using (ClusterPortal.Hosting.SchemaLock.Acquire(target, "the first node-1 on http://127.0.0.1:1"))
        {
            var (exitCode, error, output) = await RunNodeAsync(["--Persistence:Provider=PostgreSql", $"--Persistence:ConnectionString={database.ConnectionString}"]);

            Assert.True(exitCode == 2, $"exit {exitCode}\n{error}\n{output[^Math.Min(output.Length, 3000)..]}");
            Assert.Contains("Configuration error: Persistence:Schema: schema \"bad-1\" is in use by 'ClusterPortal lock: the first node-1 on http://127.0.0.1:1' from ",
                error, StringComparison.Ordinal);
            Assert.Contains("(server pid ", error, StringComparison.Ordinal); // what pg_terminate_backend needs when the holder is gone
            Assert.DoesNotContain("   at ", error + output, StringComparison.Ordinal);
        }

        using var released = ClusterPortal.Hosting.SchemaLock.Acquire(target, "the next one"); // the session's end released it
    }

    [Theory]
    [InlineData("Cluster__AcceptedKeys", "Cluster:AcceptedKeys")]
    [InlineData("Cluster__Seeds", "Cluster:Seeds")]
    public async Task A_list_given_one_value_in_the_environment_stops_the_node_without_showing_it(string variable, string key)
    {
        // The binder drops a plain value for a list: the node used to start without the keys (or seeds) it was given (attack).
        var (exitCode, error, output) = await RunNodeAsync([], new Dictionary<string, string> { [variable] = "SECRETVALUE-0123456789" });

        Assert.Equal(2, exitCode);
        Assert.Contains($"Configuration error: {key} is a list", error, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRETVALUE", error + output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("table", "no such table: Mirrors")]
    [InlineData("lock", "node.lock")]
    [InlineData("hangfire", "hangfire.db")]
    [InlineData("keys", "keys' already exists")] // a file where the node keeps its data-protection keys
    public async Task A_store_the_node_cannot_use_stops_it_with_exit_2_naming_the_data_directory(string damage, string named)
    {
        // Found by attack: a damaged store ended in an unhandled exception, a stack trace and exit code 134 (a crash loop).
        var (exitCode, error, output) = await RunNodeAsync([], prepare: async data =>
        {
            switch (damage)
            {
                case "table": // a store whose schema is current by its history but lacks a table (a damaged or edited file)
                    var options = new ClusterEngine.Persistence.PersistenceOptions();
                    var factory = ClusterEngine.Persistence.NodeDatabaseProvider.CreateFactory(
                        ClusterEngine.Persistence.NodeDatabaseTarget.For(data, "bad-1", options), options);
                    await using (var db = await factory.CreateDbContextAsync())
                    {
                        await Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.MigrateAsync(db.Database);
                        await Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.ExecuteSqlRawAsync(db.Database, "DROP TABLE \"Mirrors\"");
                    }

                    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                    break;
                case "lock": // the lock file's name taken by a directory: the node may not open it
                    Directory.CreateDirectory(Path.Combine(data, "node.lock"));
                    break;
                case "keys":
                    await File.WriteAllTextAsync(Path.Combine(data, "keys"), "x");
                    break;
                default: // the job store is not a database
                    await File.WriteAllTextAsync(Path.Combine(data, "hangfire.db"), "not a database");
                    break;
            }
        });

        Assert.Equal(2, exitCode);
        Assert.Contains("Cannot start: the node's store could not be read or written (", error, StringComparison.Ordinal);
        Assert.Contains(named, error, StringComparison.Ordinal);
        Assert.Contains("Data directory: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", error + output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("foreign", "was written with a cluster key this node neither uses nor accepts")]
    [InlineData("newer", "was migrated by a newer build of ClusterPortal (migration 29990101000000_FromTheFuture")]
    public async Task A_store_of_another_cluster_or_of_a_newer_build_stops_the_node_with_exit_2(string store, string said)
    {
        // Found by attack: a node started on another cluster's data directory merged that cluster's registrations into its own
        // (its devices were refused everywhere, or the node served as a second cluster); a newer build's schema went unnoticed.
        var (exitCode, error, output) = await RunNodeAsync([], prepare: async data =>
        {
            var options = new ClusterEngine.Persistence.PersistenceOptions();
            var target = ClusterEngine.Persistence.NodeDatabaseTarget.For(data, "bad-1", options);
            var factory = ClusterEngine.Persistence.NodeDatabaseProvider.CreateFactory(target, options);
            var database = new ClusterEngine.Persistence.NodeDatabase(factory, target, Microsoft.Extensions.Logging.Abstractions.NullLogger<ClusterEngine.Persistence.NodeDatabase>.Instance);
            if (store == "foreign")
            {
                var theirs = new ClusterEngine.ClusterOptions { Key = "their-cluster-key-0123456789abcdef" };
                await new ClusterEngine.Persistence.StoreOwner(factory, database, target, theirs,
                    Microsoft.Extensions.Logging.Abstractions.NullLogger<ClusterEngine.Persistence.StoreOwner>.Instance).EnsureAsync();
            }
            else
            {
                await database.EnsureReadyAsync(CancellationToken.None);
                await using var db = await factory.CreateDbContextAsync();
                await Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.ExecuteSqlRawAsync(db.Database,
                    "INSERT INTO \"__EFMigrationsHistory\" VALUES ('29990101000000_FromTheFuture', '99.0.0')");
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        });

        Assert.Equal(2, exitCode);
        Assert.Contains("Cannot start: the store ", error, StringComparison.Ordinal);
        Assert.Contains("node.db", error, StringComparison.Ordinal);
        Assert.Contains(said, error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", error + output, StringComparison.Ordinal);
        Assert.DoesNotContain("their-cluster-key", error + output, StringComparison.Ordinal);
    }

    /// <summary>Runs a node process with valid defaults and <paramref name="settings"/> after them; returns its exit code, stderr and stdout.</summary>
    /// <param name="settings">Command-line settings after the defaults.</param>
    /// <param name="environment">Environment variables to set.</param>
    /// <param name="prepare">Runs on the (empty) data directory before the node starts.</param>
    internal static async Task<(int ExitCode, string Error, string Output)> RunNodeAsync(IEnumerable<string> settings,
        IReadOnlyDictionary<string, string>? environment = null, Func<string, Task>? prepare = null)
    {
        var data = Directory.CreateTempSubdirectory("portal-badconfig-").FullName;
        try
        {
            if (prepare is not null)
            {
                await prepare(data);
            }

            var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            start.Environment.Remove("ASPNETCORE_URLS");
            foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            {
                start.Environment[name] = value;
            }

            foreach (var a in new[]
            {
                ProcessCluster.PortalDll, "--Cluster:NodeId=bad-1", "--urls=http://127.0.0.1:0", "--Cluster:Key=0123456789abcdef0123456789abcdef",
                "--Portal:AdminKey=0123456789abcdef-admin", $"--Cluster:DataDirectory={data}",
            }.Concat(settings))
            {
                start.ArgumentList.Add(a);
            }

            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stderr, await stdout);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
