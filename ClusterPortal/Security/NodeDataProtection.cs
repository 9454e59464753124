using ClusterEngine;
using ClusterPortal.Hosting;
using Microsoft.AspNetCore.DataProtection;

namespace ClusterPortal.Security;

/// <summary>
/// Where a node keeps its ASP.NET Core DataProtection keys (the admin login cookie, antiforgery tokens; docs/identity.md, "Smaller inputs"):
/// <c>Portal:DataProtectionKeysDirectory</c> when set (the same directory on several nodes shares logins between them,
/// deliberately), else <c>{Cluster:DataDirectory}/keys</c> — the node's own, created owner-only (0700), so a login
/// survives a restart and no other node or process of the machine reads or shares them (the framework's default is the
/// user profile, shared by every node the user runs).
/// </summary>
internal static class NodeDataProtection
{
    /// <summary>The keys' directory below the node's data directory.</summary>
    public const string KeysDirectoryName = "keys";

    /// <summary>The keys' directory for <paramref name="configuration"/> (absolute).</summary>
    public static string KeysDirectory(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration[$"{PortalOptions.SectionName}:{nameof(PortalOptions.DataProtectionKeysDirectory)}"] is { Length: > 0 } shared)
        {
            return Path.GetFullPath(shared);
        }

        var cluster = configuration.GetSection(ClusterOptions.SectionName);
        var node = new ClusterOptions { NodeId = cluster[nameof(ClusterOptions.NodeId)], DataDirectory = cluster[nameof(ClusterOptions.DataDirectory)] };
        return Path.GetFullPath(Path.Combine(NodeDataDirectory.Of(node), KeysDirectoryName));
    }

    /// <summary>Registers DataProtection with its keys in <see cref="KeysDirectory"/>.</summary>
    public static IServiceCollection AddNodeDataProtection(this IServiceCollection services, IConfiguration configuration)
    {
        var directory = KeysDirectory(configuration);
        if (!OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        services.AddDataProtection()
            .SetApplicationName("ClusterPortal") // the same name on every node, so a shared directory shares logins
            .PersistKeysToFileSystem(new DirectoryInfo(directory));
        return services;
    }
}
