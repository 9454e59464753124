using ClusterPortal.Cli;

// The verbs (local cluster, one node, add-node, simulate) and their options: Cli/PortalCommandLine.cs.
return await PortalCommandLine.RunAsync(args);

/// <summary>Entry point; public for WebApplicationFactory in tests.</summary>
public partial class Program;
