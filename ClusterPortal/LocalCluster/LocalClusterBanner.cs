using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ClusterPortal.LocalCluster;

/// <summary>What the launcher prints once every node is ready: URLs, admin key, members it did not start, and a curl example.</summary>
internal static class LocalClusterBanner
{
    /// <summary>The banner text; the example uses a client id that is new on every start (a used one answers 401 without its token).</summary>
    public static string Format(IReadOnlyList<NodeProcess> nodes, IReadOnlyList<LocalClusterMember> notStarted, LocalClusterLayout layout)
    {
        var first = nodes[0].Url;
        var other = nodes[^1].Url;
        var client = "device-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var item = $"{other}/api/clients/{client}/items/hello.txt";
        var adminKey = layout.Keys.AdminKey;
        var text = new StringBuilder()
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"ClusterPortal local cluster: {nodes.Count} node(s) ready");
        foreach (var node in nodes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {node.NodeId,-8} {node.Url}");
        }

        foreach (var member in notStarted)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  {member.NodeId,-8} {member.Url}  {member.State}: a member this launcher does not start (added earlier); start it again with `dotnet run --project ClusterPortal -- add-node`, or remove it on the Nodes page");
        }

        return text
            .AppendLine(CultureInfo.InvariantCulture, $"  Dashboard:      {first}/")
            .AppendLine(CultureInfo.InvariantCulture, $"  API reference:  {first}/api-reference")
            .AppendLine(CultureInfo.InvariantCulture, $"  Admin key:      {adminKey}")
            .AppendLine(CultureInfo.InvariantCulture, $"  Keys file:      {layout.KeysPath}")
            .AppendLine(CultureInfo.InvariantCulture, $"  Shared content: {layout.ContentRoot}")
            .AppendLine()
            // As a device does it: its own token, never the admin key on a command line (visible to every user in ps).
            .AppendLine(CultureInfo.InvariantCulture, $"Try it (announce the new client {client} and keep its token, then fetch an item twice: 200 with an ETag, then 304):")
            .AppendLine(CultureInfo.InvariantCulture, $"  TOKEN=$(curl -s -X POST {first}/api/sessions -H 'Content-Type: application/json' -d '{{\"clientId\":\"{client}\"}}' | sed -E 's/.*\"token\":\"([^\"]+)\".*/\\1/')")
            .AppendLine(CultureInfo.InvariantCulture, $"  curl -i -H \"Authorization: Bearer $TOKEN\" --etag-save /tmp/etag.txt {item}")
            .AppendLine(CultureInfo.InvariantCulture, $"  curl -i -H \"Authorization: Bearer $TOKEN\" --etag-compare /tmp/etag.txt {item}")
            .AppendLine("Add a node (patent Fig. 11): in another terminal, from the same folder:")
            .AppendLine("  dotnet run --project ClusterPortal -- add-node --capacity 5000")
            .AppendLine()
            .AppendLine("Press Ctrl+C to stop every node.")
            .ToString();
    }
}
