using System.Text.Json;
using ClusterPortal.TestSupport;

namespace ClusterPortal.Client.Tests;

/// <summary>
/// A device that references the SDK gets no server package: its dependencies, followed through the build's
/// dependency graph (<c>.deps.json</c>), are only what a client needs, and it runs on the plain .NET runtime.
/// </summary>
public sealed class PackageClosureTests
{
    private static readonly string[] s_serverPackages =
    [
        "Microsoft.AspNetCore", "Microsoft.EntityFrameworkCore", "Microsoft.Data.Sqlite", "SQLitePCLRaw", "Hangfire",
        "MudBlazor", "Yarp", "Microsoft.Extensions.Hosting", "OpenTelemetry", "ClusterEngine",
    ];

    [Fact]
    public void The_sdks_dependencies_followed_through_hold_no_server_package()
    {
        var closure = Closure("ClusterPortal.Client");

        Assert.Contains("System.IO.Hashing", closure);
        Assert.Contains("Polly.Core", closure);
        Assert.Contains("ZstdSharp.Port", closure);
        Assert.DoesNotContain(closure, name => s_serverPackages.Any(server => name.StartsWith(server, StringComparison.OrdinalIgnoreCase)));
    }

    [Fact]
    public void The_sdk_runs_on_the_plain_dotnet_runtime() =>
        Assert.Equal(["Microsoft.NETCore.App"], RuntimeFrameworks.OfTestAssembly("ClusterPortal.Client.Tests"));

    /// <summary>The names of <paramref name="root"/> and every library it depends on, directly or not.</summary>
    private static HashSet<string> Closure(string root)
    {
        using var deps = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ClusterPortal.Client.Tests.deps.json")));
        var target = deps.RootElement.GetProperty("targets").GetProperty(deps.RootElement.GetProperty("runtimeTarget").GetProperty("name").GetString()!);
        var libraries = target.EnumerateObject().ToDictionary(l => l.Name.Split('/')[0], l => l.Value, StringComparer.OrdinalIgnoreCase);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var pending = new Stack<string>([root]);
        while (pending.TryPop(out var name))
        {
            if (seen.Add(name) && libraries.TryGetValue(name, out var library) && library.TryGetProperty("dependencies", out var dependencies))
            {
                foreach (var dependency in dependencies.EnumerateObject())
                {
                    pending.Push(dependency.Name);
                }
            }
        }

        Assert.True(libraries.ContainsKey(root), $"{root} is not in the dependency graph");
        return seen;
    }
}
