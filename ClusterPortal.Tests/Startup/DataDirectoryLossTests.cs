using System.Net;
using System.Net.Http.Json;
using ClusterPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ClusterPortal.Tests.Startup;

/// <summary>
/// A node's data directory deleted or moved while the node runs (a clean-up script, an operator in the wrong terminal):
/// SQLite goes on writing the open files, so everything written since is lost at the next start, and the directory's
/// lock file is gone with it, so a second process could start on the directory. <c>NodeLockWatch</c> (docs/persistence.md,
/// "Start-up checks") takes a new lock file at the path, says Degraded on <c>/health/ready</c> and logs it; when another
/// process took the directory first, the node stops with exit code 2. Before, nothing noticed.
/// </summary>
[Trait("Category", "Process")]
public sealed class DataDirectoryLossTests
{
    [Fact]
    public async Task A_node_whose_data_directory_was_moved_away_keeps_the_path_locked_and_says_Degraded()
    {
        var logs = new CapturingLoggerProvider();
        await using var node = new PortalFactory(new() { ["Persistence:LockCheckInterval"] = "00:00:00.100" })
        {
            Configure = web => web.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(logs)),
        };
        using var http = node.Client();
        using (var announce = await http.PostAsJsonAsync("/api/sessions", new { clientId = "moved-1" }))
        {
            Assert.Equal(HttpStatusCode.Created, announce.StatusCode);
        }

        var moved = node.DataDirectory + ".moved";
        Directory.Move(node.DataDirectory, moved);
        try
        {
            await Eventually.True(() => File.Exists(Path.Combine(node.DataDirectory, "node.lock")), "a new node.lock at the data directory's path");
            await Eventually.True(async () => await (await http.GetAsync("/health/ready")).Content.ReadAsStringAsync() == "Degraded",
                "/health/ready to say Degraded");
            Assert.Contains(logs.Entries, e => e.Level == LogLevel.Critical && e.Message.Contains($"The lock file of the data directory {node.DataDirectory} was deleted or moved", StringComparison.Ordinal));
            Assert.Contains(logs.Entries, e => e.Level == LogLevel.Critical && e.Message.Contains("node.db was deleted or moved while the node runs", StringComparison.Ordinal));

            // The identity stays this process's: a second node on the directory is refused, as at any other time.
            var (exit, output) = await PortalProcess.RunAsync(Path.GetTempPath(), 120,
                "--Cluster:NodeId=node-1", "--urls=http://127.0.0.1:0", $"--Cluster:Key={PortalFactory.ClusterKey}",
                $"--Portal:AdminKey={PortalFactory.AdminKey}", $"--Cluster:DataDirectory={node.DataDirectory}");
            Assert.True(exit == 2, $"exit {exit}\n{output}");
            Assert.Contains("Configuration error: Cluster:DataDirectory", output, StringComparison.Ordinal);
            Assert.Contains($"pid {Environment.ProcessId}", output, StringComparison.Ordinal); // the holder: this test's node

            // The node serves on from memory.
            using var again = await http.PostAsJsonAsync("/api/sessions", new { clientId = "moved-2" });
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        }
        finally
        {
            Directory.Delete(moved, recursive: true);
        }
    }

    [Fact]
    public async Task A_data_directory_linked_to_where_it_went_or_put_back_is_the_node_s_own_again()
    {
        // Found by attack: both made the node take its own lock file for another process's, give its store up and stop
        // (exit 2) — though the operator did what the log told him (restore the directory) and the store was intact.
        var logs = new CapturingLoggerProvider();
        await using var node = new PortalFactory(new() { ["Persistence:LockCheckInterval"] = "00:00:01" })
        {
            Configure = web => web.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(logs)),
        };
        using var http = node.Client();
        bool Logged(string text) => Count(text) > 0;
        int Count(string text) => logs.Entries.Count(e => e.Message.Contains(text, StringComparison.Ordinal));
        var elsewhere = node.DataDirectory + ".disk";
        try
        {
            // 1. Moved, and the old path made a link to where it went (within one check, about a millisecond).
            Directory.Move(node.DataDirectory, elsewhere);
            try
            {
                Directory.CreateSymbolicLink(node.DataDirectory, elsewhere);
            }
            catch (IOException)
            {
                // The node's check fell between the two steps and made a new directory there: linking in its place ends
                // the same way (that new lock file deleted, the path leads to the node's first one again).
                Directory.Delete(node.DataDirectory, recursive: true);
                Directory.CreateSymbolicLink(node.DataDirectory, elsewhere);
            }
            await Eventually.True(() => Logged("is back: the lock file this node took is at its path again"), "the directory known as the node's own (1029)");
            File.Delete(node.DataDirectory); // the link
            Directory.Move(elsewhere, node.DataDirectory);

            await Eventually.True(() => logs.Entries.Count(e => e.Message.Contains("is back:", StringComparison.Ordinal)) == 2, "the directory back in place (1029 again)");

            // 2. Moved away (a new lock file is taken at the path, the store is gone: Degraded), then put back in place of
            //    the new directory: the node's own lock file and store are at the path again.
            var retaken = Count("a new node.lock there keeps a second process out");
            Directory.Move(node.DataDirectory, elsewhere);
            await Eventually.True(() => Count("a new node.lock there keeps a second process out") > retaken, "a new lock file at the path (1023)");
            await Eventually.True(async () => await (await http.GetAsync("/health/ready")).Content.ReadAsStringAsync() == "Degraded", "Degraded without node.db");
            Directory.Delete(node.DataDirectory, recursive: true);
            Directory.Move(elsewhere, node.DataDirectory);
            await Eventually.True(() => logs.Entries.Count(e => e.Message.Contains("is back:", StringComparison.Ordinal)) == 3, "the directory back in place (1029)");
            await Eventually.True(async () => await (await http.GetAsync("/health/ready")).Content.ReadAsStringAsync() == "Healthy", "Healthy with node.db back");
        }
        finally
        {
            if (Directory.Exists(elsewhere) && !Directory.Exists(node.DataDirectory))
            {
                Directory.Move(elsewhere, node.DataDirectory);
            }
        }

        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("was taken by", StringComparison.Ordinal) || e.Message.StartsWith("Stopping:", StringComparison.Ordinal));
        using var announce = await http.PostAsJsonAsync("/api/sessions", new { clientId = "back-1" });
        Assert.Equal(HttpStatusCode.Created, announce.StatusCode);
    }

    [Fact]
    public async Task A_node_whose_data_directory_another_process_took_stops_with_exit_2()
    {
        using var data = new TempDir();
        var directory = Path.Combine(data.Path, "node");
        using var node = PortalProcess.Start(data.Path,
            "--Cluster:NodeId=taken-1", "--urls=http://127.0.0.1:0", $"--Cluster:Key={PortalFactory.ClusterKey}",
            $"--Portal:AdminKey={PortalFactory.AdminKey}", $"--Cluster:DataDirectory={directory}", "--Persistence:LockCheckInterval=00:00:02");
        await node.WaitForOutputAsync("Application started", 120);

        // The directory moved away and a second process (this test) locking a new one at its path before the node's next
        // check (every 2 s; the two steps take about a millisecond).
        Directory.Move(directory, directory + ".moved");
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "node.lock.holder"), "pid 1, the second taken-1");
        await using var second = new FileStream(Path.Combine(directory, "node.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await node.Process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the node did not stop within 60 s of losing its data directory:\n{node.Output}");
        }

        node.Process.WaitForExit();
        Assert.True(node.Process.ExitCode == 2, $"exit {node.Process.ExitCode}\n{node.Output}");
        Assert.Contains($"Stopping: the data directory {directory} was deleted or moved while the node ran and pid 1, the second taken-1 has taken it", node.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", node.Output, StringComparison.Ordinal);
    }
}
