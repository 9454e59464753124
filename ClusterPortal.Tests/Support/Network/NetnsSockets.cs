using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ClusterPortal.Tests.Support.Network;

/// <summary>
/// Sockets of the test process that live in a network namespace of the test network: a socket belongs to the namespace
/// of the thread that created it, so a short-lived thread enters the namespace (<c>setns</c>, which a thread of a
/// multithreaded process may do for a network namespace), creates the socket and leaves. The test's HTTP clients (the
/// SDK devices, the view sampler) connect through them, from an address of the test network, like a process started
/// with <c>ip netns exec</c> — without a process per client.
/// </summary>
internal static class NetnsSockets
{
    private const int CloneNewNet = 0x40000000;
    private const int ReadOnlyCloseOnExec = 0x80000; // O_RDONLY | O_CLOEXEC

    /// <summary>A TCP socket in namespace <paramref name="netns"/> (<c>/run/netns/{netns}</c>).</summary>
    public static Socket CreateTcp(string netns)
    {
        Socket? socket = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            var self = Native.Open("/proc/thread-self/ns/net", ReadOnlyCloseOnExec);
            var target = Native.Open($"/run/netns/{netns}", ReadOnlyCloseOnExec);
            try
            {
                if (self < 0 || target < 0 || Native.SetNs(target, CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"cannot enter network namespace {netns} (errno {Marshal.GetLastPInvokeError()})");
                }

                try
                {
                    socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                }
                finally
                {
                    _ = Native.SetNs(self, CloneNewNet); // the thread ends next in any case
                }
            }
            catch (Exception ex)
            {
                error = ex;
            }
            finally
            {
                _ = Native.Close(self);
                _ = Native.Close(target);
            }
        }) { IsBackground = true, Name = "netns-socket" };
        thread.Start();
        thread.Join();
        return socket ?? throw error!;
    }

    /// <summary>An HTTP handler whose connections start in <paramref name="netns"/>; hosts must be IP literals (no DNS in the test process).</summary>
    public static SocketsHttpHandler Handler(string netns, TimeSpan connectTimeout) => new()
    {
        UseProxy = false,
        ConnectTimeout = connectTimeout,
        PooledConnectionLifetime = TimeSpan.FromSeconds(30),
        ConnectCallback = async (context, cancellationToken) =>
        {
            var address = IPAddress.Parse(context.DnsEndPoint.Host);
            var socket = CreateTcp(netns);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    private static class Native
    {
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int SetNs(int fd, int type);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Close(int fd);
    }
}
