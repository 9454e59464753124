using System.Text.Json;

namespace ClusterPortal.TestSupport;

/// <summary>
/// The shared frameworks the running test assembly was built to run on (its <c>.runtimeconfig.json</c>): a project
/// that references a library taking the ASP.NET Core framework runs on <c>Microsoft.AspNetCore.App</c> too. Linked
/// into the engine's tests as well.
/// </summary>
internal static class RuntimeFrameworks
{
    public static IReadOnlyList<string?> OfTestAssembly(string assemblyName)
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, assemblyName + ".runtimeconfig.json")));
        var options = config.RootElement.GetProperty("runtimeOptions");
        return options.TryGetProperty("frameworks", out var list)
            ? [.. list.EnumerateArray().Select(f => f.GetProperty("name").GetString())]
            : [options.GetProperty("framework").GetProperty("name").GetString()];
    }
}
