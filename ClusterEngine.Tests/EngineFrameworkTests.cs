using System.Text.Json;

namespace ClusterEngine.Tests;

/// <summary>
/// The engine is a library, not a web host: it does not take the <c>Microsoft.AspNetCore.App</c> shared framework
/// (a project that references it would otherwise run on that framework too).
/// </summary>
public sealed class EngineFrameworkTests
{
    [Fact]
    public void A_project_that_references_the_engine_runs_on_the_plain_dotnet_runtime()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ClusterEngine.Tests.runtimeconfig.json")));
        var options = config.RootElement.GetProperty("runtimeOptions");
        var frameworks = options.TryGetProperty("frameworks", out var list)
            ? list.EnumerateArray().Select(f => f.GetProperty("name").GetString()).ToList()
            : [options.GetProperty("framework").GetProperty("name").GetString()];

        Assert.Equal(["Microsoft.NETCore.App"], frameworks);
    }
}
