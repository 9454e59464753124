using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace ClusterPortal.Testing;

/// <summary>
/// A real PostgreSQL server for tests (shared by ClusterEngine.Tests and ClusterPortal.Tests as a linked file).
/// <see cref="Shared"/> is the server named by the environment variable <c>CLUSTERPORTAL_TEST_POSTGRES</c> (an admin
/// connection string; <c>.ci/run</c> starts one) or, when that is unset, a throwaway server this process starts
/// itself: <c>initdb</c> into a temporary directory, <c>postgres</c> on a free loopback port, run as the
/// <c>postgres</c> user when the tests run as root (the server refuses root), stopped and deleted by a watchdog once
/// the test process is gone. <see cref="StartOwnAsync"/> starts a private one that a test may stop and start (fault tests).
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>Environment variable with the admin connection string of an existing server.</summary>
    public const string EnvironmentVariable = "CLUSTERPORTAL_TEST_POSTGRES";

    private static readonly Lazy<Task<PostgresServer>> SharedServer = new(CreateSharedAsync);
    private readonly string? _root;
    private readonly string? _binDirectory;
    private readonly bool _asPostgresUser;

    private PostgresServer(string adminConnectionString, string? root = null, string? binDirectory = null, bool asPostgresUser = false)
    {
        AdminConnectionString = adminConnectionString;
        (_root, _binDirectory, _asPostgresUser) = (root, binDirectory, asPostgresUser);
    }

    /// <summary>Connection string of the superuser (database <c>postgres</c>).</summary>
    public string AdminConnectionString { get; }

    private string DataDirectory => Path.Combine(_root!, "data");

    /// <summary>The server shared by every test of this process.</summary>
    public static Task<PostgresServer> Shared => SharedServer.Value;

    /// <summary>A private server on a free port (stopped and deleted on dispose).</summary>
    public static async Task<PostgresServer> StartOwnAsync()
    {
        var bin = FindBinDirectory();
        var asPostgres = Environment.UserName == "root";
        var root = Directory.CreateTempSubdirectory("cp-pg-").FullName;
        var port = FreePorts.One();
        var server = new PostgresServer(
            string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false;Timeout=10"),
            root, bin, asPostgres);
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "socket"));
            if (asPostgres)
            {
                await RunAsync("chown", ["-R", "postgres:postgres", root]);
            }

            await server.PgAsync("initdb", ["-D", server.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--locale=C.UTF-8"]);
            await File.AppendAllTextAsync(Path.Combine(server.DataDirectory, "postgresql.conf"), string.Create(CultureInfo.InvariantCulture,
                $"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{Path.Combine(root, "socket")}'\nfsync = off\nfull_page_writes = off\nmax_connections = 300\n"));
            await server.StartAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the (stopped) private server and waits until it accepts connections.</summary>
    public Task StartAsync() => PgAsync("pg_ctl", ["-D", DataDirectory, "-l", Path.Combine(_root!, "server.log"), "-w", "-t", "60", "start"]);

    /// <summary>Stops the private server (fast shutdown: open connections are closed at once).</summary>
    public Task StopAsync() => PgAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop"]);

    /// <summary>Creates an empty database; dispose the result to drop it.</summary>
    public async Task<TestDatabase> CreateDatabaseAsync()
    {
        var name = "cp_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync($"CREATE DATABASE \"{name}\"");
        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = true };
        return new TestDatabase(this, name, builder.ConnectionString);
    }

    /// <summary>Runs one statement as the superuser on the database <c>postgres</c>.</summary>
    /// <remarks>
    /// Opening the connection is tried up to three times when it times out: on a 2-core CI machine busy building and
    /// testing, a new backend once took longer than the connection timeout to start (a test failed in its setup,
    /// before it tested anything). Any other error is thrown at once.
    /// </remarks>
    public async Task ExecuteAsync(string sql)
    {
        await using var connection = await OpenAdminConnectionAsync();
#pragma warning disable CA2100 // Test SQL.
        await using var command = new NpgsqlCommand(sql, connection);
#pragma warning restore CA2100
        await command.ExecuteNonQueryAsync();
    }

    private async Task<NpgsqlConnection> OpenAdminConnectionAsync()
    {
        const int Attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            var connection = new NpgsqlConnection(AdminConnectionString);
            try
            {
                await connection.OpenAsync();
                return connection;
            }
            catch (NpgsqlException e) when (e.InnerException is TimeoutException && attempt < Attempts)
            {
                await connection.DisposeAsync();
                Console.Error.WriteLine($"[postgres] opening an admin connection timed out (attempt {attempt} of {Attempts}); trying again");
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_root is null)
        {
            return;
        }

        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                await PgAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "30", "stop"]);
            }
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                Directory.Delete(_root, recursive: true);
                return;
            }
            catch (IOException) when (attempt < 20)
            {
                await Task.Delay(100); // the server's last processes may still be writing as it goes
            }
        }
    }

    private static async Task<PostgresServer> CreateSharedAsync()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured)
        {
            return new PostgresServer(configured);
        }

        var server = await StartOwnAsync();
        server.StopWhenThisProcessEnds();
        return server;
    }

    /// <summary>
    /// Leaves a detached watchdog shell that stops the server and deletes its directory once this process is gone —
    /// however it ends: the test platform kills the test host soon after its last test, before a ProcessExit handler
    /// could finish, and a crashed run would otherwise leave the server running.
    /// </summary>
    private void StopWhenThisProcessEnds()
    {
        var pgCtl = Path.Combine(_binDirectory!, "pg_ctl");
        var stop = string.Create(CultureInfo.InvariantCulture,
            $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done; {(_asPostgresUser ? "runuser -u postgres -- " : "")}'{pgCtl}' -D '{DataDirectory}' -m fast -w -t 30 stop >/dev/null 2>&1; rm -rf '{_root}'");
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-f", "sh", "-c", stop })
        {
            start.ArgumentList.Add(a);
        }

        Process.Start(start)?.Dispose();
    }

    private Task PgAsync(string tool, IReadOnlyList<string> args)
    {
        var path = Path.Combine(_binDirectory!, tool);
        return _asPostgresUser ? RunAsync("runuser", ["-u", "postgres", "--", path, .. args]) : RunAsync(path, args);
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}:\n{await output}\n{await error}");
        }
    }

    private static string FindBinDirectory()
    {
        var versions = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Where(d => File.Exists(Path.Combine(d, "bin", "postgres"))).OrderDescending(StringComparer.Ordinal).ToList()
            : [];
        Assert.True(versions.Count > 0, "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: install the 'postgresql' package (.ci/run does) "
            + $"or set {EnvironmentVariable} to the admin connection string of a running server.");
        return Path.Combine(versions[0], "bin");
    }
}

/// <summary>An empty database on a <see cref="PostgresServer"/>, dropped (with its connections) on dispose.</summary>
public sealed class TestDatabase(PostgresServer server, string name, string connectionString) : IAsyncDisposable
{
    /// <summary>Connection string of the database (superuser).</summary>
    public string ConnectionString { get; } = connectionString;

    public string Name { get; } = name;

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await server.ExecuteAsync($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
        }
        catch (NpgsqlException)
        {
            // The server is gone (a fault test stopped it): its directory is deleted with it.
        }
    }
}
