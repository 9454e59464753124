namespace ClusterPortal.ClusterBench;

/// <summary>
/// The program's modes other than the default cluster scenarios: the anchors the benches start as child processes
/// (a plain YARP forwarder, bare Kestrel answering the item's 304 or an announce) and the side-by-side benches.
/// </summary>
internal static class Modes
{
    /// <summary>Runs the mode <paramref name="args"/> names and returns its exit code; null when they name none of these.</summary>
    public static async Task<int?> TryRunAsync(string[] args)
    {
        switch (args)
        {
            case ["yarp", var yarpUrl, var upstream]: // the plain YARP forwarder (a separate process, like the node it is compared with)
                await PlainYarp.RunAsync(yarpUrl, upstream);
                return 0;
            case ["bare", var bareUrl, var bareETag]: // bare Kestrel answering the item's 304 (the anchor of `wire`)
                await BareKestrel.RunAsync(bareUrl, bareETag);
                return 0;
            case ["bare-announce", var announceUrl, var announceToken]: // bare Kestrel answering an announce (the anchor of `wire-announce`)
                await BareKestrel.RunAnnounceAsync(announceUrl, announceToken);
                return 0;
            case ["wire-announce", ..]: // new sessions on one node against bare Kestrel (AnnounceWire.cs)
                return await AnnounceWire.RunAsync(args[1..]);
            case ["soak", ..]: // one node under a steady mix for minutes: memory, threads, descriptors, store (SoakWire.cs)
                return await SoakWire.RunAsync(args[1..]);
            case ["idle", ..]: // the CPU of an idle five-node cluster, as shipped and with the runtime's default spinning (IdleScenario.cs)
                return await IdleScenario.RunAsync(args[1..]);
            case ["wire", ..]: // the data path against bare Kestrel, nginx, plain YARP and HAProxy (WireBench.cs)
                return await WireBench.RunAsync(args[1..]);
            default:
                return null;
        }
    }
}
