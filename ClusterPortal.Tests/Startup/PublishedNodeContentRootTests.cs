using System.Net;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Startup;

/// <summary>
/// <c>dotnet /path/ClusterPortal.dll</c> started from another directory reads the <c>appsettings.json</c> beside the
/// dll: its content root is the app's directory and requests are not logged (the shipped settings keep
/// <c>Microsoft.AspNetCore</c>, YARP and the hosting diagnostics quiet), as when started from the app's directory.
/// </summary>
[Trait("Category", "Process")]
public sealed class PublishedNodeContentRootTests
{
    [Fact]
    public async Task A_node_started_from_another_directory_reads_its_own_appsettings()
    {
        var elsewhere = Directory.CreateTempSubdirectory("portal-elsewhere-");
        try
        {
            var url = $"http://127.0.0.1:{FreePorts.One()}";
            using var node = PortalProcess.Start(elsewhere.FullName,
                new Dictionary<string, string> { ["Cluster__Key"] = "0123456789abcdef0123456789abcdef", ["Portal__AdminKey"] = "0123456789abcdef-admin" },
                "node", "--Cluster:NodeId=cwd-1", $"--urls={url}", $"--Cluster:DataDirectory={Path.Combine(elsewhere.FullName, "data")}",
                "--Logging:Console:FormatterName=simple");
            await node.WaitForOutputAsync("Content root path:", 120);
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            await Eventually.True(async () => (await http.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode == HttpStatusCode.OK,
                "the node's /health/ready answering 200", 120_000, () => node.Output);
            for (var i = 0; i < 5; i++)
            {
                using var answer = await http.GetAsync(new Uri("/api/cluster", UriKind.Relative));
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            }

            var appDirectory = Path.GetDirectoryName(ProcessCluster.PortalDll)!;
            Assert.Contains($"Content root path: {appDirectory}", node.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Request starting", node.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Executing endpoint", node.Output, StringComparison.Ordinal);
        }
        finally
        {
            elsewhere.Delete(recursive: true);
        }
    }
}
