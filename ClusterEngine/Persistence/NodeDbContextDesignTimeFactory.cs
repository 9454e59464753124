using System.Diagnostics.CodeAnalysis;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace ClusterEngine.Persistence;

/// <summary>Lets <c>dotnet ef</c> build the model from this class library (migrations only; never used at run time).</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by the EF Core design-time tools.")]
internal sealed class NodeDbContextDesignTimeFactory : IDesignTimeDbContextFactory<NodeDbContext>
{
    public NodeDbContext CreateDbContext(string[] args)
    {
        var directory = Path.Combine(Path.GetTempPath(), "clusterportal-design");
        var builder = new DbContextOptionsBuilder<NodeDbContext>();
        builder.UseNodeDatabase(directory, new PersistenceOptions());
        return new NodeDbContext(builder.Options);
    }
}
