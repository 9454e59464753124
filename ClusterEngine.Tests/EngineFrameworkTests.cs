using ClusterPortal.TestSupport;

namespace ClusterEngine.Tests;

/// <summary>
/// The engine is a library, not a web host: it does not take the <c>Microsoft.AspNetCore.App</c> shared framework
/// (a project that references it would otherwise run on that framework too).
/// </summary>
public sealed class EngineFrameworkTests
{
    [Fact]
    public void A_project_that_references_the_engine_runs_on_the_plain_dotnet_runtime() =>
        Assert.Equal(["Microsoft.NETCore.App"], RuntimeFrameworks.OfTestAssembly("ClusterEngine.Tests"));
}
