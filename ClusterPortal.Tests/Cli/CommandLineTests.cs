using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Cli;

/// <summary>
/// The portal's command line as a new operator meets it (issue 17): help on every verb starts nothing, unknown
/// options and bad values exit 2 naming them with the valid options and no stack trace, a node that cannot start
/// makes the launcher say so, the simulator tells "nothing answers" from "key refused". Real OS processes.
/// </summary>
[Trait("Category", "Process")]
public sealed class CommandLineTests : IDisposable
{
    private readonly string _workDir = Directory.CreateTempSubdirectory("cli-test-").FullName;

    public void Dispose() => Directory.Delete(_workDir, recursive: true);

    [Theory]
    [InlineData("--help")]
    [InlineData("node", "--help")]
    [InlineData("add-node", "--help")]
    [InlineData("simulate", "--help")]
    public async Task Help_on_every_verb_exits_0_and_starts_nothing(params string[] args)
    {
        var (exit, output) = await PortalProcess.RunAsync(_workDir, 60, args);

        Assert.Equal(0, exit);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Started node", output, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_workDir)); // no keys, no data: nothing ran
        if (args[0] != "simulate")
        {
            Assert.Contains("--Cluster:{NodeId", output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("unknown option '--nodes'", "--nodes", "5")]
    [InlineData("LocalCluster:Nodes must be a whole number (was 'abc')", "--LocalCluster:Nodes=abc")]
    [InlineData("unknown option or argument '--bogus'", "simulate", "--bogus")]
    [InlineData("--clients", "simulate", "--clients", "many")]
    [InlineData("Cluster:NodeId is required", "node")]
    [InlineData("--urls is for one node", "--urls", "http://127.0.0.1:5101")]
    public async Task Bad_input_exits_2_naming_it_without_a_stack_trace(string expected, params string[] args)
    {
        var (exit, output) = await PortalProcess.RunAsync(_workDir, 60, args);

        Assert.Equal(2, exit);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Started node", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_option_lists_the_valid_ones()
    {
        var (_, output) = await PortalProcess.RunAsync(_workDir, 60, "--nodes", "5");

        Assert.Contains("Valid options of ClusterPortal:", output, StringComparison.Ordinal);
        Assert.Contains("verbs: node, add-node, simulate", output, StringComparison.Ordinal);
        Assert.Contains("--LocalCluster:{Nodes, BasePort", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_that_refuses_its_settings_stops_the_launcher_with_its_reason()
    {
        var basePort = FreePorts.Consecutive(2);
        var (exit, output) = await PortalProcess.RunAsync(_workDir, 120, $"--LocalCluster:BasePort={basePort}", "--LocalCluster:Nodes=2", "--Cluster:Capacity=-5");

        Assert.Equal(2, exit);
        Assert.Contains("[node-1] Configuration error: Cluster:Capacity", output, StringComparison.Ordinal);
        Assert.Contains("node-1 stopped during start with exit code 2", output, StringComparison.Ordinal);
        Assert.DoesNotContain("keep running", output, StringComparison.Ordinal);
        Assert.DoesNotContain("did not answer", output, StringComparison.Ordinal);
        Assert.DoesNotContain("ready", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_says_nothing_answers_when_no_node_listens()
    {
        var port = FreePorts.One();
        var (exit, output) = await PortalProcess.RunAsync(_workDir, new Dictionary<string, string> { ["CLUSTERPORTAL_ADMIN_KEY"] = "some-admin-key-0123456789" }, 60,
            "simulate", "--duration", "1s", "--target", $"http://127.0.0.1:{port}");

        Assert.Equal(1, exit);
        Assert.Contains($"nothing answers at http://127.0.0.1:{port}", output, StringComparison.Ordinal);
        Assert.DoesNotContain("admin key was refused", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_says_the_admin_key_was_refused_and_where_it_came_from()
    {
        using var node = new PortalFactory();
        var (exit, output) = await PortalProcess.RunAsync(_workDir, new Dictionary<string, string> { ["CLUSTERPORTAL_ADMIN_KEY"] = "not-the-admin-key-0123456789" }, 60,
            "simulate", "--duration", "1s", "--target", node.BaseUrl);

        Assert.Equal(1, exit);
        Assert.Contains($"the admin key was refused by {node.BaseUrl} (401", output, StringComparison.Ordinal);
        Assert.Contains("The key came from CLUSTERPORTAL_ADMIN_KEY", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_without_any_admin_key_says_where_to_put_one()
    {
        var (exit, output) = await PortalProcess.RunAsync(_workDir, 60, "simulate", "--duration", "1s");

        Assert.Equal(2, exit);
        Assert.Contains("set CLUSTERPORTAL_ADMIN_KEY", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_node_on_a_data_directory_in_use_exits_2_naming_the_directory_and_the_holder()
    {
        var data = Path.Combine(_workDir, "node-data");
        string[] common = ["--Cluster:Key=0123456789abcdef0123456789abcdef", "--Portal:AdminKey=0123456789abcdef-admin", $"--Cluster:DataDirectory={data}"];
        using var first = PortalProcess.Start(_workDir, [.. common, "--Cluster:NodeId=lock-1", $"--urls=http://127.0.0.1:{FreePorts.One()}"]);
        await first.WaitForOutputAsync("StartupSummary[1010]");

        var (exit, output) = await PortalProcess.RunAsync(_workDir, 60, [.. common, "--Cluster:NodeId=lock-2", $"--urls=http://127.0.0.1:{FreePorts.One()}"]);

        Assert.Equal(2, exit);
        Assert.Contains($"Cluster:DataDirectory {data} is in use by pid {first.Process.Id}, lock-1 on http://127.0.0.1:", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.Equal(0, await first.TerminateAsync());
    }
}
