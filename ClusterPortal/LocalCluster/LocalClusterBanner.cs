using System.Text;

namespace ClusterPortal.LocalCluster;

/// <summary>What the launcher prints once every node is ready: URLs, admin key and a curl example.</summary>
internal static class LocalClusterBanner
{
    /// <summary>The banner text.</summary>
    public static string Format(IReadOnlyList<NodeProcess> nodes, LocalClusterKeys keys, string keysPath, string contentRoot)
    {
        var first = nodes[0].Url;
        var other = nodes[^1].Url;
        var item = $"{other}/api/clients/device-0001/items/hello.txt";
        var text = new StringBuilder()
            .AppendLine()
            .AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"ClusterPortal local cluster: {nodes.Count} node(s) ready");
        foreach (var node in nodes)
        {
            text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"  {node.NodeId,-8} {node.Url}");
        }

        return text
            .AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"  Dashboard:      {first}/")
            .AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"  API reference:  {first}/api-reference")
            .AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"  Admin key:      {keys.AdminKey}")
            .AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"  Keys file:      {keysPath}")
            .AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"  Shared content: {contentRoot}")
            .AppendLine()
            .AppendLine("Try it (announce a client, then fetch an item twice: 200 with an ETag, then 304):")
            .AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"  curl -s -X POST {first}/api/sessions -H 'Content-Type: application/json' -d '{{\"clientId\":\"device-0001\"}}'")
            .AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"  curl -i -H 'X-Admin-Key: {keys.AdminKey}' --etag-save etag.txt {item}")
            .AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"  curl -i -H 'X-Admin-Key: {keys.AdminKey}' --etag-compare etag.txt {item}")
            .AppendLine()
            .AppendLine("Press Ctrl+C to stop every node.")
            .ToString();
    }
}
