using System.Diagnostics;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Api;

/// <summary>A node started with a bad setting stops at once with one line naming the key (no stack trace) and exit code 2.</summary>
[Trait("Category", "Process")]
public sealed class StartupConfigurationTests
{
    [Theory]
    [InlineData("--Portal:AdminKey=short", "Portal:AdminKey")]
    [InlineData("--Cluster:Capacity=0", "Cluster:Capacity")]
    public async Task A_bad_setting_stops_the_node_with_a_message_naming_the_key(string setting, string key)
    {
        var data = Directory.CreateTempSubdirectory("portal-badconfig-").FullName;
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            start.Environment.Remove("ASPNETCORE_URLS");
            foreach (var a in new[]
            {
                ProcessCluster.PortalDll, "--Cluster:NodeId=bad-1", "--urls=http://127.0.0.1:0", "--Cluster:Key=0123456789abcdef0123456789abcdef",
                "--Portal:AdminKey=0123456789abcdef-admin", $"--Cluster:DataDirectory={data}", setting,
            })
            {
                start.ArgumentList.Add(a);
            }

            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);

            Assert.Equal(2, process.ExitCode);
            var error = await stderr;
            Assert.Contains($"Configuration error: {key}", error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", error + await stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
