namespace ClusterPortal.Hosting;

/// <summary>
/// Where a node reads <c>appsettings.json</c> and its web assets from: the application's own directory, so the
/// published node started as <c>dotnet /path/ClusterPortal.dll</c> from any working directory finds its settings (the
/// host's default, the working directory, silently skipped them: every request was then logged at Information). An
/// explicit <c>--contentRoot</c> (or <c>ASPNETCORE_CONTENTROOT</c>/<c>DOTNET_CONTENTROOT</c>) still wins, and so does a
/// working directory that holds the settings itself (<c>dotnet run</c> from the project folder).
/// </summary>
internal static class NodeContentRoot
{
    private const string SettingsFile = "appsettings.json";

    /// <summary>The content root to give the host for <paramref name="args"/>, or null to leave the host's choice.</summary>
    /// <param name="args">The node's command line.</param>
    /// <param name="workingDirectory">The process's working directory.</param>
    /// <param name="appDirectory">The directory of the application's assemblies (<see cref="AppContext.BaseDirectory"/>).</param>
    public static string? For(IReadOnlyList<string> args, string workingDirectory, string appDirectory)
    {
        ArgumentNullException.ThrowIfNull(args);
        var named = args.Any(a => a.TrimStart('-', '/').StartsWith("contentRoot", StringComparison.OrdinalIgnoreCase))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT"))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT"));
        if (named || File.Exists(Path.Combine(workingDirectory, SettingsFile)) || !File.Exists(Path.Combine(appDirectory, SettingsFile)))
        {
            return null;
        }

        return appDirectory;
    }
}
