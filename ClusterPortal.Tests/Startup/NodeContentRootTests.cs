using ClusterPortal.Hosting;

namespace ClusterPortal.Tests.Startup;

/// <summary>The node's content root: its own directory unless the command line or the working directory says otherwise.</summary>
public sealed class NodeContentRootTests : IDisposable
{
    private readonly DirectoryInfo _app = Directory.CreateTempSubdirectory("portal-app-");
    private readonly DirectoryInfo _elsewhere = Directory.CreateTempSubdirectory("portal-cwd-");

    public NodeContentRootTests() => File.WriteAllText(Path.Combine(_app.FullName, "appsettings.json"), "{}");

    [Fact]
    public void Started_from_another_directory_the_node_reads_its_own_directory() =>
        Assert.Equal(_app.FullName, NodeContentRoot.For(["--Cluster:NodeId=n1"], _elsewhere.FullName, _app.FullName));

    [Theory]
    [InlineData("--contentRoot=/srv/portal")]
    [InlineData("--contentroot")]
    public void An_explicit_content_root_wins(string arg) =>
        Assert.Null(NodeContentRoot.For([arg, "/srv/portal"], _elsewhere.FullName, _app.FullName));

    [Fact]
    public void A_working_directory_with_its_own_settings_keeps_the_host_default()
    {
        File.WriteAllText(Path.Combine(_elsewhere.FullName, "appsettings.json"), "{}");
        Assert.Null(NodeContentRoot.For([], _elsewhere.FullName, _app.FullName));
    }

    public void Dispose()
    {
        _app.Delete(recursive: true);
        _elsewhere.Delete(recursive: true);
    }
}
