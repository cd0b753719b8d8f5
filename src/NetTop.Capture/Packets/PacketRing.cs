using System.Buffers.Binary;
using System.Runtime.InteropServices;
using NetTop.Capture.Interop;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace NetTop.Capture.Packets;

/// <summary>An AF_PACKET socket or ring that could not be set up, with its errno.</summary>
internal sealed class PacketRingException(string message, int errno) : Exception(message)
{
    public int Errno { get; } = errno;
}

/// <summary>
/// One AF_PACKET SOCK_DGRAM socket with a TPACKET_V3 ring, unbound (every interface of the namespace it was created
/// in). Set up in the order the kernel needs: reject-all filter, drain, the real filter, PACKET_VERSION,
/// PACKET_RX_RING, mmap. Must be created on the namespace's thread; read from any one thread after that.
/// </summary>
internal sealed unsafe class PacketRing : IDisposable
{
    private int _fd = -1;
    private byte* _map;
    private nuint _mapLength;

    private PacketRing(int blockSize, int blockCount)
    {
        BlockSize = blockSize;
        BlockCount = blockCount;
    }

    public int Fd => _fd;
    public int BlockSize { get; }
    public int BlockCount { get; }

    public static PacketRing Open(sock_filter[] program, int blockSize, int blockCount, int retireTimeoutMs)
    {
        PacketRing r = new(blockSize, blockCount);
        try
        {
            r.Setup(program, retireTimeoutMs);
            return r;
        }
        catch
        {
            r.Dispose();
            throw;
        }
    }

    private void Setup(sock_filter[] program, int retireTimeoutMs)
    {
        _fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(AfPacket.ETH_P_ALL));
        if (_fd < 0) Fail("socket(AF_PACKET, SOCK_DGRAM)");
        Attach(PacketFilters.RejectAll);
        // Whatever arrived before the reject-all filter was attached is unfiltered: read it away.
        byte* junk = stackalloc byte[64];
        int drained = 0;
        while (drained++ < 100_000 && recv(_fd, junk, 64, MSG_DONTWAIT) >= 0)
        {
        }
        Attach(program);
        int version = AfPacket.TPACKET_V3;
        if (setsockopt(_fd, AfPacket.SOL_PACKET, AfPacket.PACKET_VERSION, &version, sizeof(int)) != 0) Fail("PACKET_VERSION TPACKET_V3");
        tpacket_req3 req = new()
        {
            tp_block_size = (uint)BlockSize,
            tp_block_nr = (uint)BlockCount,
            tp_frame_size = 2048, // V3 packs frames of any size into blocks; frame_size only has to divide the block
            tp_frame_nr = (uint)(BlockSize / 2048 * BlockCount),
            tp_retire_blk_tov = (uint)retireTimeoutMs,
        };
        if (setsockopt(_fd, AfPacket.SOL_PACKET, AfPacket.PACKET_RX_RING, &req, (uint)sizeof(tpacket_req3)) != 0) Fail("PACKET_RX_RING");
        _mapLength = (nuint)BlockSize * (nuint)BlockCount;
        void* p = mmap(null, (size_t)_mapLength, PROT_READ | PROT_WRITE, MAP_SHARED, _fd, 0);
        if (p == MAP_FAILED)
        {
            _mapLength = 0;
            Fail("mmap of the packet ring");
        }
        _map = (byte*)p;
    }

    private void Attach(sock_filter[] program)
    {
        fixed (sock_filter* f = program)
        {
            sock_fprog prog = new() { len = (ushort)program.Length, filter = f };
            if (setsockopt(_fd, SOL_SOCKET, AfPacket.SO_ATTACH_FILTER, &prog, (uint)sizeof(sock_fprog)) != 0) Fail("SO_ATTACH_FILTER");
        }
    }

    private static void Fail(string what)
    {
        int e = Marshal.GetLastPInvokeError();
        throw new PacketRingException($"{what} failed: {Errno.Describe(e)}", e);
    }

    /// <summary>The ring's blocks, as a value the reader keeps in its own frame with the index of the next block: a
    /// wake-up then reads and writes no field of this object.</summary>
    public Blocks View => new(_map, BlockSize, BlockCount);

    /// <summary>The mapped blocks of a ring (valid while the ring is not disposed).</summary>
    public readonly struct Blocks(byte* map, int blockSize, int count)
    {
        /// <summary>Block <paramref name="index"/> if the kernel has handed it to user space, else an empty span.</summary>
        public ReadOnlySpan<byte> UserBlock(int index)
        {
            byte* b = map + (nint)index * blockSize;
            uint status = Volatile.Read(ref *(uint*)(b + 8));
            return (status & AfPacket.TP_STATUS_USER) != 0 ? new ReadOnlySpan<byte>(b, blockSize) : default;
        }

        /// <summary>Returns block <paramref name="index"/> to the kernel; the index of the block after it.</summary>
        public int ReleaseBlock(int index)
        {
            byte* b = map + (nint)index * blockSize;
            Volatile.Write(ref *(uint*)(b + 8), AfPacket.TP_STATUS_KERNEL);
            return index + 1 == count ? 0 : index + 1;
        }
    }

    /// <summary>PACKET_STATISTICS since the last call (reading resets the kernel's counters): packets incl. drops, drops.</summary>
    public (uint Packets, uint Drops, uint Freezes) ReadStatistics()
    {
        tpacket_stats_v3 st = default;
        socklen_t len = (socklen_t)(uint)sizeof(tpacket_stats_v3);
        if (getsockopt(_fd, AfPacket.SOL_PACKET, AfPacket.PACKET_STATISTICS, &st, &len) != 0) return (0, 0, 0);
        return (st.tp_packets, st.tp_drops, st.tp_freeze_q_cnt);
    }

    public void Dispose()
    {
        if (_map != null)
        {
            munmap(_map, (size_t)_mapLength);
            _map = null;
        }
        if (_fd >= 0)
        {
            close(_fd);
            _fd = -1;
        }
    }
}
