using ClusterEngine.Membership;

namespace ClusterEngine.Benchmarks;

/// <summary>A 5-node view loaded with N clients whose ids are 16 hex characters (typical device ids).</summary>
internal static class ClusterFixture
{
    public const int Nodes = 5;

    public static string DeviceId(long i) => (((ulong)i * 0x9E3779B97F4A7C15UL) ^ 0x5DEECE66DUL).ToString("X16", System.Globalization.CultureInfo.InvariantCulture);

    public static string[] DeviceIds(long start, int count)
    {
        var ids = new string[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = DeviceId(start + i);
        }

        return ids;
    }

    public static ClusterState Create(int clients, int capacityPerNode = 1_000_000, int reserve = 0)
    {
        var state = new ClusterState("node-1", new ClusterOptions(), clients + reserve);
        for (var n = 0; n < Nodes; n++)
        {
            state.AddOrUpdateNode(new NodeInfo($"node-{n + 1}", $"http://127.0.0.1:{5101 + n}", capacityPerNode, Order: n));
        }

        for (var i = 0; i < clients; i++)
        {
            state.Announce(DeviceId(i));
        }

        return state;
    }
}
