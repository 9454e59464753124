using ClusterPortal.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddClusterPortal();

var app = builder.Build();
app.UseClusterPortal();
app.Run();

/// <summary>Entry point; public for WebApplicationFactory in tests.</summary>
public partial class Program;
