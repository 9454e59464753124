using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.LocalCluster;

/// <summary>
/// <c>dotnet ClusterPortal.dll</c> without <c>Cluster:NodeId</c> starts a local cluster of child processes
/// (docs/architecture.md §11; issue 4, item 8), run here as real OS processes in a temporary working directory.
/// </summary>
[Trait("Category", "Process")]
public sealed partial class LocalClusterLauncherTests : IDisposable
{
    private readonly int BasePort = FreePorts.Consecutive(3);
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(240); // a loaded shared machine: nodes have taken 30 s to listen
    private readonly string _workDir = Directory.CreateTempSubdirectory("local-cluster-test-").FullName;
    private readonly List<Process> _launchers = [];

    public void Dispose()
    {
        foreach (var launcher in _launchers)
        {
            if (!launcher.HasExited)
            {
                launcher.Kill(entireProcessTree: true);
                launcher.WaitForExit(10_000);
            }

            launcher.Dispose();
        }

        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (IOException)
        {
            // A child may still hold a file for a moment; the temp directory is cleaned by the OS.
        }
    }

    [Fact]
    public async Task Launcher_starts_three_nodes_that_form_one_cluster_serves_through_any_node_and_stops_them_on_SIGTERM()
    {
        var urls = Enumerable.Range(0, 3).Select(i => $"http://127.0.0.1:{BasePort + i}").ToArray();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        // A secret given to the launcher goes to the nodes the same way (found by attack: it was on their command lines).
        const string Accepted = "launcher-accepted-key-0123456789";
        var (launcher, output) = StartLauncher($"--Cluster:AcceptedKeys:0={Accepted}");
        var adminKey = await WaitForAdminKey(launcher, output);
        foreach (var url in urls)
        {
            await Eventually(async () =>
            {
                using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri(url + "/api/cluster")));
                var nodes = doc.RootElement.GetProperty("nodes").EnumerateArray().ToList();
                return nodes.Count == 3 && nodes.All(n => n.GetProperty("state").GetString() == "Up");
            }, $"3 nodes Up as seen by {url}", output);
        }

        var keysPath = Path.Combine(_workDir, "data", "local-cluster", "keys.json");
        Assert.True(File.Exists(keysPath));
        Assert.Contains(adminKey, await File.ReadAllTextAsync(keysPath), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keysPath));
        }

        Assert.True(File.Exists(Path.Combine(_workDir, "data", "local-cluster", "content", "hello.txt")));

        // The keys reach the children by environment: no process's command line (what `ps` shows everyone) holds them.
        if (OperatingSystem.IsLinux())
        {
            var commandLines = Directory.GetDirectories("/proc").Select(d => Path.Combine(d, "cmdline"))
                .Select(f => { try { return File.ReadAllText(f); } catch (IOException) { return ""; } catch (UnauthorizedAccessException) { return ""; } })
                .Where(c => c.Contains("ClusterPortal", StringComparison.Ordinal)).ToList();
            Assert.Contains(commandLines, c => c.Contains("--Cluster:NodeId=node-2", StringComparison.Ordinal));
            Assert.DoesNotContain(commandLines, c => c.Contains(adminKey, StringComparison.Ordinal));
            Assert.Contains(commandLines, c => c.Contains("AcceptedKeys", StringComparison.Ordinal)); // the launcher's own
            Assert.Single(commandLines, c => c.Contains(Accepted, StringComparison.Ordinal)); // and no node's
        }

        // Announce at node-3, fetch at node-1: served (or forwarded to) the primary.
        var announced = await http.PostAsJsonAsync(new Uri(urls[2] + "/api/sessions"), new { clientId = "launcher-device-1" });
        Assert.Equal(HttpStatusCode.Created, announced.StatusCode);
        using var session = JsonDocument.Parse(await announced.Content.ReadAsStringAsync());
        var primary = session.RootElement.GetProperty("primary").GetProperty("nodeId").GetString();
        var alternate = session.RootElement.GetProperty("alternate") is { ValueKind: JsonValueKind.Object } a ? a.GetProperty("nodeId").GetString() : null;
        using var get = new HttpRequestMessage(HttpMethod.Get, new Uri(urls[0] + "/api/clients/launcher-device-1/items/hello.txt"));
        get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session.RootElement.GetProperty("token").GetString());
        using var item = await http.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, item.StatusCode);
        // The primary serves; its alternate does when the primary holds back (a node that found itself frozen on a loaded
        // machine serves nobody as primary until it has caught up, docs/architecture.md §7).
        Assert.Contains(item.Headers.GetValues("X-Served-By").Single(), new[] { primary, alternate });

        await StopAndAssertGone(launcher, urls, output);

        // A second start reuses the kept keys.
        var (again, againOutput) = StartLauncher();
        Assert.Equal(adminKey, await WaitForAdminKey(again, againOutput));
        await StopAndAssertGone(again, urls, againOutput);
    }

    [Fact]
    public async Task A_second_local_cluster_is_refused_and_add_node_adds_a_node_that_Ctrl_C_removes_again()
    {
        var (launcher, output) = StartLauncher("--LocalCluster:Nodes=2");
        var adminKey = await WaitForAdminKey(launcher, output);
        Assert.Matches(@"announce the new client device-[0-9a-f]{6}", Snapshot(output));

        // From the same folder (its lock), and from another folder on the same ports: refused before anything starts.
        var (sameFolder, sameOutput) = await PortalProcess.RunAsync(_workDir, 60, $"--LocalCluster:BasePort={BasePort + 10}");
        Assert.Equal(2, sameFolder);
        Assert.Contains($"another one runs from {Path.Combine(_workDir, "data", "local-cluster")} (pid {launcher.Id}", sameOutput, StringComparison.Ordinal);
        var otherFolder = Directory.CreateDirectory(Path.Combine(_workDir, "other")).FullName;
        var (samePorts, portsOutput) = await PortalProcess.RunAsync(otherFolder, 60, $"--LocalCluster:BasePort={BasePort}", "--LocalCluster:Nodes=2");
        Assert.Equal(2, samePorts);
        Assert.Contains($"port {BasePort} (for node-1) is in use", portsOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("ready", sameOutput + portsOutput, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(otherFolder, "data", "local-cluster", "keys.json")), "a refused launcher generated keys");

        // Fig. 11 in one command: node-3 on the next port, added with the operator's capacity, Up everywhere.
        using var addNode = PortalProcess.Start(_workDir, "add-node", "--capacity", "500", "--name", "Extra");
        await addNode.WaitForOutputAsync("was added to the local cluster");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Add("X-Admin-Key", adminKey);
        await Eventually(async () =>
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{BasePort + 1}/api/cluster")));
            return doc.RootElement.GetProperty("nodes").EnumerateArray().Any(n => n.GetProperty("nodeId").GetString() == "node-3"
                && n.GetProperty("state").GetString() == "Up" && n.GetProperty("capacity").GetInt32() == 500
                && n.GetProperty("url").GetString() == $"http://127.0.0.1:{BasePort + 2}" && n.GetProperty("name").GetString() == "Extra");
        }, "node-3 Up with capacity 500 as node-2 sees it", output);

        // Ctrl+C (SIGTERM here) removes it from the cluster and stops it: it is no member the launcher would call missing.
        Assert.Equal(0, await addNode.TerminateAsync());
        Assert.Contains("node-3 removed from the cluster (204)", addNode.Output, StringComparison.Ordinal);
        using (var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{BasePort}/api/cluster"))))
        {
            Assert.Equal("Left", doc.RootElement.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("nodeId").GetString() == "node-3").GetProperty("state").GetString());
        }

        await StopAndAssertGone(launcher, [$"http://127.0.0.1:{BasePort}", $"http://127.0.0.1:{BasePort + 1}", $"http://127.0.0.1:{BasePort + 2}"], output);
    }

    private (Process Launcher, StringBuilder Output) StartLauncher(params string[] extra)
    {
        var testDir = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var configuration = Path.GetFileName(Path.GetDirectoryName(testDir))!;
        var dll = Path.GetFullPath(Path.Combine(testDir, "..", "..", "..", "..", "ClusterPortal", "bin", configuration, "net10.0", "ClusterPortal.dll"));
        Assert.True(File.Exists(dll), $"ClusterPortal build output not found at {dll}");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add($"--LocalCluster:BasePort={BasePort}");
        foreach (var arg in extra)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment.Remove("ASPNETCORE_URLS");
        var output = new StringBuilder();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _launchers.Add(process);
        return (process, output);
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static async Task<string> WaitForAdminKey(Process launcher, StringBuilder output)
    {
        string? key = null;
        await Eventually(() =>
        {
            Assert.False(launcher.HasExited, "the launcher exited early:\n" + Snapshot(output));
            var match = AdminKeyLine().Match(Snapshot(output));
            key = match.Success ? match.Groups[1].Value : null;
            return Task.FromResult(key is not null);
        }, "the banner with the admin key", output);
        return key!;
    }

    private static async Task StopAndAssertGone(Process launcher, string[] urls, StringBuilder output)
    {
        using (var kill = Process.Start("kill", ["-TERM", launcher.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await launcher.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, launcher.ExitCode);
        await Eventually(async () =>
        {
            foreach (var url in urls)
            {
                using var tcp = new TcpClient();
                try
                {
                    var uri = new Uri(url);
                    await tcp.ConnectAsync(uri.Host, uri.Port);
                    return false;
                }
                catch (SocketException)
                {
                    // Refused: that node is gone.
                }
            }

            return true;
        }, "every node's port refusing connections", output, TimeSpan.FromSeconds(20));
    }

    private static async Task Eventually(Func<Task<bool>> condition, string what, StringBuilder output, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? Generous);
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            catch (JsonException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what}. Launcher output:\n{Snapshot(output)}");
            }

            await Task.Delay(250);
        }
    }

    [GeneratedRegex(@"Admin key:\s+(\S+)")]
    private static partial Regex AdminKeyLine();
}
