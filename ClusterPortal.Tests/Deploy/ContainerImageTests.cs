using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Deploy;

/// <summary>
/// What can be tested of deploy/Dockerfile without a container engine (issue 16, part 2): its final stage runs a non-root
/// user with the data directory as a volume and every setting in the environment; the published node, run as a
/// non-root user from a read-only copy with exactly that environment, answers <c>/health/ready</c>, serves a client,
/// writes nothing but its data directory, and leaves on SIGTERM with exit code 0.
/// </summary>
[Trait("Category", "Process")]
public sealed partial class ContainerImageTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cp-image-").FullName;

    public void Dispose()
    {
        Run("chmod", "-R", "u+w", _root); // the read-only copy
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void The_image_runs_a_non_root_user_with_the_data_directory_as_a_volume_and_the_listening_port_exposed()
    {
        var image = Dockerfile.Read();

        Assert.NotNull(image.User);
        Assert.DoesNotMatch("^(0|root)(:.*)?$", image.User);
        Assert.Equal([image.Environment["Cluster__DataDirectory"]], image.Volumes);
        Assert.Matches(@"^http://\+:\d+$", image.Environment["ASPNETCORE_URLS"]);
        Assert.Equal(image.Environment["ASPNETCORE_URLS"].Split(':')[^1], Assert.Single(image.Exposed));
        Assert.Equal(["dotnet", "ClusterPortal.dll"], image.EntryPoint);
    }

    [Fact]
    public async Task The_published_node_runs_as_a_non_root_user_from_a_read_only_folder_with_its_data_directory_as_the_only_writable_path()
    {
        var image = Dockerfile.Read();
        var app = Path.Combine(_root, "app");
        var data = Path.Combine(_root, "data");
        Run("dotnet", "publish", Path.Combine(RepositoryRoot, "ClusterPortal", "ClusterPortal.csproj"), "--no-build", "-c", Configuration, "-o", app, "--nologo");
        Directory.CreateDirectory(data);
        var asRoot = Environment.UserName == "root";
        Run("chmod", "755", _root);
        Run("chmod", "-R", "a-w", app);
        if (asRoot)
        {
            Run("chown", "nobody:nogroup", data);
        }

        var port = FreePorts.One();
        var url = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
        var environment = new Dictionary<string, string>(image.Environment)
        {
            // The image's values, mapped onto this machine: its volume path and its port.
            ["Cluster__DataDirectory"] = data,
            ["ASPNETCORE_URLS"] = image.Environment["ASPNETCORE_URLS"].Replace("+", "127.0.0.1", StringComparison.Ordinal)
                .Replace(":" + image.Exposed[0], ":" + port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal),
            ["Cluster__NodeId"] = "image-1",
            ["Cluster__AdvertisedUrl"] = url,
            ["Cluster__Key"] = "image-test-cluster-key-0123456789",
            ["Portal__AdminKey"] = "image-test-admin-key-0123456789",
            ["Logging__LogLevel__Default"] = "Warning",
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["HOME"] = "/nonexistent", // as in a container whose root file system is read-only
            ["DOTNET_NOLOGO"] = "1",
        };
        var before = Listing(app);

        using var node = StartNode(app, image.EntryPoint, environment, asRoot);
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.True(async () =>
        {
            if (node.Process.HasExited)
            {
                Assert.Fail($"the node exited ({node.Process.ExitCode}):\n{node.Output}");
            }

            try
            {
                return (await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "the published node answers /health/ready", 60_000, () => node.Output);

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
        var session = await http.PostAsJsonAsync("/api/sessions", new { clientId = "image-device" });
        Assert.Equal(HttpStatusCode.Created, session.StatusCode);
        using var item = new HttpRequestMessage(HttpMethod.Get, "/api/clients/image-device/items/hello.txt");
        item.Headers.Add("X-Admin-Key", environment["Portal__AdminKey"]);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(item)).StatusCode);

        Assert.True(ClusterPortal.LocalCluster.ProcessSignals.Terminate(node.Process));
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await node.Process.WaitForExitAsync(timeout.Token);
        }

        Assert.True(node.Process.ExitCode == 0, $"exit code {node.Process.ExitCode}:\n{node.Output}");
        Assert.Equal(before, Listing(app));
        Assert.Contains("node.db", Directory.GetFiles(data).Select(Path.GetFileName));
        Assert.Contains("hangfire.db", Directory.GetFiles(data).Select(Path.GetFileName));
        Assert.DoesNotContain("Unhandled exception", node.Output, StringComparison.Ordinal);
    }

    private static RunningNode StartNode(string app, string[] entryPoint, Dictionary<string, string> environment, bool asRoot)
    {
        // Run as nobody when the tests run as root (setpriv: no login, no groups); otherwise the tests' own user is not root either.
        var (file, prefix) = asRoot ? ("setpriv", new[] { "--reuid=nobody", "--regid=nogroup", "--clear-groups" }) : (entryPoint[0], Array.Empty<string>());
        var start = new ProcessStartInfo(file) { WorkingDirectory = app, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in prefix.Concat(asRoot ? entryPoint : entryPoint.Skip(1)))
        {
            start.ArgumentList.Add(a);
        }

        start.Environment.Clear();
        foreach (var (k, v) in environment)
        {
            start.Environment[k] = v;
        }

        return new RunningNode(Process.Start(start)!);
    }

    private static string[] Listing(string directory) =>
        [.. Directory.EnumerateFileSystemEntries(directory, "*", SearchOption.AllDirectories)
            .Select(p => $"{Path.GetRelativePath(directory, p)}:{(File.Exists(p) ? new FileInfo(p).Length : -1)}").Order(StringComparer.Ordinal)];

    private static void Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(300_000), $"{file} did not finish");
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: exit {process.ExitCode}\n{output.Result}\n{error}");
    }


    /// <summary>The repository root (where ClusterPortal.sln is), found above the test output.</summary>
    internal static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ClusterPortal.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("ClusterPortal.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The build configuration of this test run (the portal was built the same way).</summary>
    private static string Configuration => Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)))!;

    private sealed class RunningNode : IDisposable
    {
        private readonly System.Text.StringBuilder _output = new();

        public RunningNode(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit(10_000);
            }

            Process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is not null)
            {
                lock (_output)
                {
                    _output.AppendLine(line);
                }
            }
        }
    }

    /// <summary>The final stage of deploy/Dockerfile: USER, ENV, VOLUME, EXPOSE, ENTRYPOINT (exec form).</summary>
    private sealed partial record Dockerfile(string? User, Dictionary<string, string> Environment, string[] Volumes, string[] Exposed, string[] EntryPoint)
    {
        public static Dockerfile Read()
        {
            var text = File.ReadAllText(Path.Combine(RepositoryRoot, "deploy", "Dockerfile")).ReplaceLineEndings("\n");
            var instructions = Regex.Replace(text, @"\\\n\s*", " ").Split('\n')
                .Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
            var final = instructions.Skip(instructions.FindLastIndex(l => l.StartsWith("FROM ", StringComparison.Ordinal))).ToList();
            string[] Args(string keyword) => [.. final.Where(l => l.StartsWith(keyword + " ", StringComparison.Ordinal)).Select(l => l[(keyword.Length + 1)..].Trim())];
            var environment = Args("ENV").SelectMany(e => EnvPair().Matches(e)).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            return new Dockerfile(
                Args("USER").LastOrDefault(),
                environment,
                [.. Args("VOLUME").SelectMany(JsonArray)],
                [.. Args("EXPOSE").SelectMany(e => e.Split(' ', StringSplitOptions.RemoveEmptyEntries))],
                JsonArray(Args("ENTRYPOINT").Single()));
        }

        private static string[] JsonArray(string value) => System.Text.Json.JsonSerializer.Deserialize<string[]>(value)!;

        [GeneratedRegex(@"([A-Za-z_][A-Za-z0-9_]*)=(\S+)")]
        private static partial Regex EnvPair();
    }
}
