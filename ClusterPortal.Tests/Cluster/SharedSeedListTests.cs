using System.Globalization;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// One configuration for every node: the same <c>Cluster:Seeds</c> list, naming the first node, on all of them (the way an
/// operator templates a deployment). The first node finds only itself among its seeds and must start the cluster; it
/// used to ask itself to be added forever, refused with "No member is Up", and no node ever became ready.
/// </summary>
[Collection(ProcessFailureGroup.Name)]
[Trait("Category", "Process")]
public sealed class SharedSeedListTests
{
    [Fact]
    public async Task Every_node_seeded_with_the_first_nodes_url_forms_one_cluster_including_the_first()
    {
        var urls = Enumerable.Range(0, 3).Select(_ => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{FreePorts.One()}")).ToArray();
        await using var cluster = await ProcessCluster.StartAsync(3, hosting: new NodeHosting(
            Url: i => urls[i],
            Launcher: _ => [],
            Seeds: _ => [urls[0]],
            NodeArgs: _ => [],
            Handler: () => new SocketsHttpHandler { UseProxy = false }));

        for (var c = 0; c < 9; c++)
        {
            await cluster.AnnounceAsync(cluster[c % 3], $"shared-seed-{c}");
        }

        var (_, view) = await cluster.WaitViewsAgreeAsync(9);
        Assert.Equal(9, view.Count);
    }
}
