using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace ClusterPortal.Tests.Support.Network;

/// <summary>One host of the test network: a network namespace with one address on the private bridge.</summary>
/// <param name="Name">Short name (<c>h1</c>… for node hosts, <c>c0</c>… for client hosts).</param>
/// <param name="Namespace">The namespace (<c>ip netns exec {Namespace} …</c>).</param>
/// <param name="Address">Its IPv4 address.</param>
public sealed record NetHost(string Name, string Namespace, string Address);

/// <summary>
/// A private test network of real hosts on this machine (docs/network.md "The harness"): a switch namespace holding a
/// Linux bridge and the DNS server (dnsmasq, with one address record per node for <see cref="DnsName"/>), and one
/// namespace per host with a veth pair to the bridge and its own address in 198.18.0.0/24 (RFC 2544's benchmarking
/// range; nothing is routed out: the namespaces have no other link and the machine's own namespace is not on the bridge).
/// Links are cut with iptables rules inside the hosts' namespaces (the bridge itself is invisible to iptables without
/// br_netfilter), impaired by <c>ClusterPortal.LinkEmulator</c> (delay, jitter, loss: what <c>tc netem</c> does, on a
/// kernel without sch_netem), and healed by flushing them. Host <c>c0</c> is the test's observation point: cuts and
/// impairments leave its links alone, so the test can always read every node's view.
/// <para>
/// Everything is named with a per-run prefix (<c>cpn{pid}g{n}</c>); a leftover of a crashed run (its pid gone) is
/// removed at the next start, and <see cref="DisposeAsync"/> removes everything, processes inside included.
/// </para>
/// </summary>
public sealed partial class TestNetwork : IAsyncDisposable
{
    /// <summary>The shared address's DNS name (patent Fig. 8): one A record per node host.</summary>
    public const string DnsName = "cluster.test";

    private const string Net = "198.18.0";
    private static int s_runs;
    private readonly string _root = Directory.CreateTempSubdirectory("test-network-").FullName;
    private readonly List<NetHost> _hosts = [];
    private readonly List<Process> _emulators = [];
    private readonly string _iptables = Shell.Which("iptables-legacy") ?? "iptables";
    private Process? _dns;

    private TestNetwork(string prefix) => Prefix = prefix;

    /// <summary>Why this machine cannot run the network tests (not root, a tool missing), or null when it can.</summary>
    public static string? Unavailable { get; } = Probe();

    /// <summary>The per-run prefix of every name.</summary>
    public string Prefix { get; }

    /// <summary>The observation host (<c>c0</c>): never cut, never impaired.</summary>
    public NetHost Observer => _hosts.First(h => h.Name == "c0");

    /// <summary>The node hosts <c>h1</c>… in order.</summary>
    public IReadOnlyList<NetHost> NodeHosts => [.. _hosts.Where(h => h.Name[0] == 'h')];

    /// <summary>Client hosts <c>c1</c>… (devices), in order.</summary>
    public IReadOnlyList<NetHost> ClientHosts => [.. _hosts.Where(h => h.Name[0] == 'c' && h.Name != "c0")];

    /// <summary>Creates the network: the switch, the DNS server, <paramref name="nodeHosts"/> node hosts and <paramref name="clientHosts"/> client hosts.</summary>
    public static async Task<TestNetwork> CreateAsync(int nodeHosts, int clientHosts = 1)
    {
        Assert.True(Unavailable is null, Unavailable);
        await RemoveLeftoversAsync();
        var network = new TestNetwork(string.Create(CultureInfo.InvariantCulture, $"cpn{Environment.ProcessId:x}g{Interlocked.Increment(ref s_runs)}"));
        try
        {
            await network.CreateSwitchAsync();
            await network.AddHostAsync("c0", 100);
            for (var i = 1; i <= nodeHosts; i++)
            {
                await network.AddHostAsync($"h{i}", 10 + i);
            }

            for (var i = 1; i <= clientHosts; i++)
            {
                await network.AddHostAsync($"c{i}", 100 + i);
            }

            await network.SetDnsAsync(network.NodeHosts);
            return network;
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>An HTTP handler whose connections start at <paramref name="from"/>.</summary>
    public static SocketsHttpHandler Handler(NetHost from, TimeSpan? connectTimeout = null) =>
        NetnsSockets.Handler(from.Namespace, connectTimeout ?? TimeSpan.FromSeconds(2));

    /// <summary>Makes <see cref="DnsName"/> answer with the addresses of <paramref name="hosts"/> (nodes that come and go) and waits until it does.</summary>
    public async Task SetDnsAsync(IEnumerable<NetHost> hosts)
    {
        var records = hosts.Select(h => h.Address).ToList();
        await File.WriteAllLinesAsync(Path.Combine(_root, "hosts"), records.Select(a => $"{a} {DnsName}"));
        if (_dns is null)
        {
            _dns = Start(Switch, "dnsmasq", "-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", $"--addn-hosts={Path.Combine(_root, "hosts")}",
                $"--listen-address={Net}.1", "--bind-interfaces", "--local-ttl=0", $"--pid-file={Path.Combine(_root, "dnsmasq.pid")}",
                "--user=root", "--group=root", "--log-facility=-");
        }
        else
        {
            await Shell.RunAsync("kill", "-HUP", _dns.Id.ToString(CultureInfo.InvariantCulture)); // dnsmasq re-reads its hosts files
        }

        await Eventually.True(async () => (await LookupAsync(Observer, DnsName)).Select(a => a.ToString()).Order().SequenceEqual(records.Order()),
            $"{DnsName} answering {string.Join(", ", records)} at {Net}.1", 20_000);
    }

    /// <summary>Resolves <paramref name="name"/> at <paramref name="from"/> as its processes do (glibc through the namespace's resolv.conf: the test network's DNS).</summary>
    public static async Task<IPAddress[]> LookupAsync(NetHost from, string name)
    {
        var (code, output) = await Shell.TryRunAsync("ip", "netns", "exec", from.Namespace, "getent", "ahostsv4", name);
        return code != 0 ? [] : [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => IPAddress.Parse(l.Split(' ')[0])).Distinct()];
    }

    /// <summary>
    /// Cuts <paramref name="from"/>'s links to <paramref name="to"/> at once (one atomic rule set in its namespace): both
    /// ways, or only its packets towards them (<paramref name="bothWays"/> false: a one-way cut). The rules go before any
    /// impairment's, so a cut holds on an impaired link too.
    /// </summary>
    public Task CutAsync(NetHost from, IEnumerable<NetHost> to, bool bothWays = true) => ApplyRulesAsync(from, CutRules("-I", to, bothWays));

    /// <summary>Undoes <see cref="CutAsync"/> with the same arguments; impairments and other cuts stay.</summary>
    public Task UncutAsync(NetHost from, IEnumerable<NetHost> to, bool bothWays = true) => ApplyRulesAsync(from, CutRules("-D", to, bothWays));

    private static IEnumerable<string> CutRules(string verb, IEnumerable<NetHost> to, bool bothWays) =>
        to.SelectMany(peer => bothWays
            ? new[] { $"{verb} OUTPUT -d {peer.Address} -j DROP", $"{verb} INPUT -s {peer.Address} -j DROP" }
            : [$"{verb} OUTPUT -d {peer.Address} -j DROP"]);

    /// <summary>Cuts <paramref name="host"/> off from every other host but the observer: no packet in or out.</summary>
    public Task IsolateAsync(NetHost host) => CutAsync(host, OthersThan(host));

    /// <summary>Undoes <see cref="IsolateAsync"/>: <paramref name="host"/> reaches the others again; impairments stay.</summary>
    public Task ReconnectAsync(NetHost host) => UncutAsync(host, OthersThan(host));

    private IEnumerable<NetHost> OthersThan(NetHost host) => _hosts.Where(h => h != host && h != Observer);

    /// <summary>
    /// Impairs every packet <paramref name="host"/> sends to any host but the observer: held for
    /// <paramref name="delayMs"/> ± <paramref name="jitterMs"/> ms (uniform) and dropped with probability <paramref name="loss"/>.
    /// Applied to every node host, a round trip between two nodes takes twice the delay.
    /// </summary>
    public async Task ImpairAsync(NetHost host, double delayMs, double jitterMs = 0, double loss = 0)
    {
        var emulator = Start(host.Namespace, "dotnet", LinkEmulatorDll, "--queue", "1",
            "--delay-ms", delayMs.ToString(CultureInfo.InvariantCulture), "--jitter-ms", jitterMs.ToString(CultureInfo.InvariantCulture),
            "--loss", loss.ToString(CultureInfo.InvariantCulture));
        _emulators.Add(emulator);
        var ready = await emulator.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (ready?.StartsWith("ready", StringComparison.Ordinal) != true)
        {
            // Only now read its error output to the end: the emulator has exited (a running one never ends it).
            Assert.Fail($"link emulator in {host.Namespace} did not start: {ready} {await emulator.StandardError.ReadToEndAsync()}");
        }
        await ApplyRulesAsync(host, [$"-A OUTPUT -o eth0 ! -d {Observer.Address} -j NFQUEUE --queue-num 1"]);
    }

    /// <summary>Removes every cut and impairment: the network is whole again.</summary>
    public async Task HealAsync()
    {
        foreach (var host in _hosts)
        {
            await Shell.RunAsync("ip", "netns", "exec", host.Namespace, _iptables, "-w", "-F");
        }

        await StopEmulatorsAsync();
    }

    /// <summary>The rules in force in <paramref name="host"/> (for failure messages).</summary>
    public async Task<string> RulesAsync(NetHost host) => (await Shell.TryRunAsync("ip", "netns", "exec", host.Namespace, _iptables, "-S")).Output;

    /// <summary>Stops everything started in the network and removes it.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopEmulatorsAsync();
        foreach (var ns in _hosts.Select(h => h.Namespace).Append(Switch))
        {
            await RemoveNamespaceAsync(ns);
        }

        _dns?.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private string Switch => $"{Prefix}-sw";

    /// <summary>The link emulator's build output beside the test build (same configuration).</summary>
    private static string LinkEmulatorDll
    {
        get
        {
            var portal = ProcessCluster.PortalDll; // …/ClusterPortal/bin/{configuration}/net10.0/ClusterPortal.dll
            var configuration = Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(portal)))!;
            var root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(portal)!, "..", "..", "..", ".."));
            var dll = Path.Combine(root, "tools", "ClusterPortal.LinkEmulator", "bin", configuration, "net10.0", "ClusterPortal.LinkEmulator.dll");
            Assert.True(File.Exists(dll), $"link emulator build output not found at {dll}");
            return dll;
        }
    }

    private async Task CreateSwitchAsync()
    {
        await Shell.RunAsync("ip", "netns", "add", Switch);
        await Shell.RunAsync("ip", "-n", Switch, "link", "set", "lo", "up");
        await Shell.RunAsync("ip", "-n", Switch, "link", "add", "br0", "type", "bridge");
        await Shell.RunAsync("ip", "-n", Switch, "addr", "add", $"{Net}.1/24", "dev", "br0");
        await Shell.RunAsync("ip", "-n", Switch, "link", "set", "br0", "up");
    }

    private async Task AddHostAsync(string name, int octet)
    {
        var host = new NetHost(name, $"{Prefix}-{name}", string.Create(CultureInfo.InvariantCulture, $"{Net}.{octet}"));
        var port = $"{Prefix}{name}"; // the bridge port's name in the switch namespace (at most 15 characters)
        await Shell.RunAsync("ip", "netns", "add", host.Namespace);
        _hosts.Add(host);
        var etc = Path.Combine("/etc/netns", host.Namespace);
        Directory.CreateDirectory(etc);
        await File.WriteAllTextAsync(Path.Combine(etc, "resolv.conf"), $"nameserver {Net}.1\noptions timeout:1 attempts:2\n");
        await File.WriteAllTextAsync(Path.Combine(etc, "hosts"), "127.0.0.1 localhost\n");
        await Shell.RunAsync("ip", "-n", host.Namespace, "link", "set", "lo", "up");
        await Shell.RunAsync("ip", "-n", Switch, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", host.Namespace);
        await Shell.RunAsync("ip", "-n", Switch, "link", "set", port, "master", "br0", "up");
        await Shell.RunAsync("ip", "-n", host.Namespace, "addr", "add", $"{host.Address}/24", "dev", "eth0");
        await Shell.RunAsync("ip", "-n", host.Namespace, "link", "set", "eth0", "up");
    }

    /// <summary>Applies <paramref name="rules"/> (iptables <c>-A</c>/<c>-I</c>/<c>-D …</c> lines of the filter table) to <paramref name="host"/> in one atomic step.</summary>
    private async Task ApplyRulesAsync(NetHost host, IEnumerable<string> rules)
    {
        var input = $"*filter\n{string.Join('\n', rules)}\nCOMMIT\n";
        var (code, output) = await Shell.TryRunWithInputAsync(input, "ip", "netns", "exec", host.Namespace, $"{_iptables}-restore", "-w", "--noflush");
        Assert.True(code == 0, $"iptables rules in {host.Namespace} refused ({code}): {output}\n{input}");
    }

    private static Process Start(string netns, string file, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["netns", "exec", netns, file, .. args])
        {
            start.ArgumentList.Add(a);
        }

        return Process.Start(start)!;
    }

    private async Task StopEmulatorsAsync()
    {
        foreach (var emulator in _emulators)
        {
            if (!emulator.HasExited)
            {
                await Shell.TryRunAsync("kill", "-TERM", emulator.Id.ToString(CultureInfo.InvariantCulture));
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await emulator.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    emulator.Kill();
                }
            }

            emulator.Dispose();
        }

        _emulators.Clear();
    }

    /// <summary>Kills every process still inside <paramref name="ns"/>, deletes it and its <c>/etc/netns</c> folder.</summary>
    private static async Task RemoveNamespaceAsync(string ns)
    {
        var (_, pids) = await Shell.TryRunAsync("ip", "netns", "pids", ns);
        foreach (var pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            await Shell.TryRunAsync("kill", "-KILL", pid);
        }

        await Shell.TryRunAsync("ip", "netns", "del", ns);
        var etc = Path.Combine("/etc/netns", ns);
        if (Directory.Exists(etc))
        {
            Directory.Delete(etc, recursive: true);
        }
    }

    /// <summary>Removes the namespaces of earlier runs whose test process is gone (a crashed or killed run).</summary>
    private static async Task RemoveLeftoversAsync()
    {
        var (_, list) = await Shell.TryRunAsync("ip", "netns", "list");
        var names = list.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0])
            .Concat(Directory.Exists("/etc/netns") ? Directory.GetDirectories("/etc/netns").Select(Path.GetFileName).OfType<string>() : []);
        foreach (var name in names.Distinct())
        {
            if (RunName().Match(name) is { Success: true } m && !IsAlive(int.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)))
            {
                await RemoveNamespaceAsync(name);
            }
        }
    }

    private static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}");

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces need Linux";
        }

        if (Environment.UserName != "root")
        {
            return "network namespaces need root (CI runs as root)";
        }

        var missing = new[] { "ip", "dnsmasq", "getent" }.Where(t => Shell.Which(t) is null).ToList();
        if (Shell.Which("iptables-legacy") is null && Shell.Which("iptables") is null)
        {
            missing.Add("iptables");
        }

        return missing.Count == 0 ? null : $"missing {string.Join(", ", missing)} (.ci/run installs iproute2, iptables and dnsmasq-base)";
    }

    [GeneratedRegex("^cpn([0-9a-f]+)g[0-9]+-")]
    private static partial Regex RunName();
}
