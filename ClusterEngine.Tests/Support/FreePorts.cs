using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ClusterPortal.Testing;

/// <summary>
/// Free loopback ports for servers a test starts (nodes, PostgreSQL; shared by ClusterEngine.Tests and ClusterPortal.Tests as a linked file), chosen <b>below the ephemeral range</b>
/// (<c>/proc/sys/net/ipv4/ip_local_port_range</c>, 32768–60999 by default) and never handed out twice in one test run.
/// </summary>
/// <remarks>
/// A port the OS chose for a listener that was then closed (<c>bind(0)</c>) is an ephemeral port: in the seconds before
/// the node binds it, any outgoing connection on this machine (a peer's SignalR client, a test's HttpClient, a PostgreSQL
/// client) may take it as its local port, and the node fails with "address already in use" (seen once in CI). Ports
/// below the ephemeral range are only ever taken by a listener that asks for them.
/// </remarks>
public static class FreePorts
{
    private const int Lowest = 20_000;
    private static readonly HashSet<int> Given = [];
    private static readonly int Highest = Math.Min(32_000, EphemeralRangeStart() - 1);

    /// <summary>One free port, not handed out before in this process.</summary>
    public static int One() => Consecutive(1);

    /// <summary>The first of <paramref name="count"/> consecutive free ports (the local cluster takes <c>BasePort … BasePort + n - 1</c>), none handed out before.</summary>
    public static int Consecutive(int count)
    {
        for (var attempt = 0; attempt < 500; attempt++)
        {
            var first = Random.Shared.Next(Lowest, Highest - count + 2);
            lock (Given)
            {
                var ports = Enumerable.Range(first, count).ToArray();
                if (ports.Any(Given.Contains) || !ports.All(IsFree))
                {
                    continue;
                }

                Given.UnionWith(ports);
                return first;
            }
        }

        throw new InvalidOperationException($"No {count} consecutive free loopback ports found between {Lowest} and {Highest}.");
    }

    private static int EphemeralRangeStart()
    {
        try
        {
            var text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(text[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32_768;
        }
    }

    private static bool IsFree(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            listener.Stop();
        }
    }
}
