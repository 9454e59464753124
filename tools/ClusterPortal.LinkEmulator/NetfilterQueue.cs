using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ClusterPortal.LinkEmulator;

/// <summary>
/// One NFQUEUE queue over a raw netlink socket (the kernel's nfnetlink_queue protocol, as libnetfilter_queue speaks
/// it: <c>linux/netfilter/nfnetlink_queue.h</c>): bind, packet ids in, verdicts out. Packets are copied as metadata
/// only — the emulator needs their ids, not their bytes. Netlink headers are in host order, nfqueue fields big-endian.
/// </summary>
internal sealed class NetfilterQueue : IDisposable
{
    private const int AfNetlink = 16, SockRaw = 3, SockCloexec = 0x80000, NetlinkNetfilter = 12;
    private const int SolSocket = 1, SoRcvTimeo = 20, SoRcvBufForce = 33, SolNetlink = 270, NetlinkNoEnobufs = 5;
    private const ushort MsgPacket = (3 << 8) | 0, MsgVerdict = (3 << 8) | 1, MsgConfig = (3 << 8) | 2, NlmsgError = 2;
    private const ushort FlagRequest = 1, FlagAck = 4;
    private const ushort CfgCmd = 1, CfgParams = 2, CfgQueueMaxLen = 3, PacketHdr = 1, VerdictHdr = 2;
    private const byte CmdBind = 1, CopyMeta = 1;
    private readonly int _fd;
    private readonly ushort _queue;
    private readonly byte[] _buffer = new byte[1 << 16];
    private int _sequence;

    private NetfilterQueue(int fd, ushort queue) => (_fd, _queue) = (fd, queue);

    /// <summary>Opens and binds queue <paramref name="queue"/> in this process's network namespace; null with the reason when it cannot.</summary>
    public static NetfilterQueue? TryOpen(ushort queue, out string? error)
    {
        var fd = Native.Socket(AfNetlink, SockRaw | SockCloexec, NetlinkNetfilter);
        if (fd < 0)
        {
            error = $"socket(AF_NETLINK, NETLINK_NETFILTER) failed: errno {Marshal.GetLastPInvokeError()}";
            return null;
        }

        var self = new NetfilterQueue(fd, queue);
        var address = new byte[12];
        BinaryPrimitives.WriteUInt16LittleEndian(address, AfNetlink);
        var big = 8 << 20;
        var no = 1;
        var timeout = new long[] { 0, 200_000 }; // recv wakes every 200 ms to notice Stop
        if (Native.Bind(fd, address, address.Length) < 0
            || Native.SetSockOpt(fd, SolSocket, SoRcvBufForce, ref big, sizeof(int)) < 0
            || Native.SetSockOpt(fd, SolNetlink, NetlinkNoEnobufs, ref no, sizeof(int)) < 0
            || Native.SetSockOpt(fd, SolSocket, SoRcvTimeo, timeout, 16) < 0)
        {
            error = $"bind/setsockopt failed: errno {Marshal.GetLastPInvokeError()}";
            self.Dispose();
            return null;
        }

        var cmd = new byte[4];
        cmd[0] = CmdBind;
        var parameters = new byte[5];
        parameters[4] = CopyMeta;
        var maxLen = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(maxLen, 65536);
        error = self.Configure(CfgCmd, cmd) ?? self.Configure(CfgParams, parameters) ?? self.Configure(CfgQueueMaxLen, maxLen);
        if (error is not null)
        {
            self.Dispose();
            return null;
        }

        return self;
    }

    /// <summary>Blocks up to 200 ms for packets; returns the ids of those that arrived (none on a timeout).</summary>
    public List<uint> Receive()
    {
        var ids = new List<uint>();
        var n = (int)Native.Recv(_fd, _buffer, _buffer.Length, 0);
        for (var o = 0; n > 0 && o + 16 <= n;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(o));
            if (length < 16 || o + length > n)
            {
                break;
            }

            if (BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(o + 4)) == MsgPacket && FindPacketId(_buffer.AsSpan(o + 20, length - 20)) is { } id)
            {
                ids.Add(id);
            }

            o += Align(length);
        }

        return ids;
    }

    /// <summary>Accepts (lets through) or drops the packet <paramref name="id"/>.</summary>
    public void Verdict(uint id, bool accept)
    {
        var payload = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(payload, accept ? 1u : 0u);
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), id);
        var message = Message(MsgVerdict, FlagRequest, VerdictHdr, payload);
        Native.Send(_fd, message, message.Length, 0);
    }

    /// <summary>Closes the socket: the kernel drops what is still queued for it.</summary>
    public void Dispose() => _ = Native.Close(_fd);

    private string? Configure(ushort attribute, byte[] payload)
    {
        var message = Message(MsgConfig, FlagRequest | FlagAck, attribute, payload);
        if (Native.Send(_fd, message, message.Length, 0) < 0)
        {
            return $"send failed: errno {Marshal.GetLastPInvokeError()}";
        }

        var n = (int)Native.Recv(_fd, _buffer, _buffer.Length, 0);
        if (n < 20 || BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(4)) != NlmsgError)
        {
            return "no acknowledgement from nfnetlink_queue";
        }

        var code = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(16));
        return code == 0 ? null : $"the kernel refused the configuration (errno {-code})";
    }

    private byte[] Message(ushort type, ushort flags, ushort attribute, byte[] payload)
    {
        var attributeLength = 4 + payload.Length;
        var length = 16 + 4 + Align(attributeLength);
        var m = new byte[length];
        BinaryPrimitives.WriteUInt32LittleEndian(m, (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(6), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(8), (uint)Interlocked.Increment(ref _sequence));
        m[16] = 0; // AF_UNSPEC
        m[17] = 0; // NFNETLINK_V0
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(18), _queue);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(20), (ushort)attributeLength);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(22), attribute);
        payload.CopyTo(m, 24);
        return m;
    }

    private static uint? FindPacketId(ReadOnlySpan<byte> attributes)
    {
        for (var o = 0; o + 4 <= attributes.Length;)
        {
            var length = BinaryPrimitives.ReadUInt16LittleEndian(attributes[o..]);
            var type = BinaryPrimitives.ReadUInt16LittleEndian(attributes[(o + 2)..]) & 0x3fff;
            if (length < 4 || o + length > attributes.Length)
            {
                return null;
            }

            if (type == PacketHdr && length >= 8)
            {
                return BinaryPrimitives.ReadUInt32BigEndian(attributes[(o + 4)..]);
            }

            o += Align(length);
        }

        return null;
    }

    private static int Align(int length) => (length + 3) & ~3;

    private static class Native
    {
        [DllImport("libc", EntryPoint = "socket", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Socket(int domain, int type, int protocol);

        [DllImport("libc", EntryPoint = "bind", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Bind(int fd, byte[] address, int length);

        [DllImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int SetSockOpt(int fd, int level, int name, ref int value, int length);

        [DllImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int SetSockOpt(int fd, int level, int name, long[] value, int length);

        [DllImport("libc", EntryPoint = "send", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern nint Send(int fd, byte[] buffer, nint length, int flags);

        [DllImport("libc", EntryPoint = "recv", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern nint Recv(int fd, byte[] buffer, nint length, int flags);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Close(int fd);
    }
}
