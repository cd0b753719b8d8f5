using System.Buffers.Binary;
using NetTop.Capture.Packets;
using NetTop.Model.Net;
using NetTop.Model.Packets;
using NetTop.Model.Resets;

namespace NetTop.Capture.Tests.Packets;

/// <summary>
/// The store of control packets: real IPv4 bytes in, the same events (decoded again) and bytes out per flow; both
/// directions meet, ICMP errors join the flow they quote, the newest packets are kept and nothing grows.
/// </summary>
public sealed class FlowPacketStoreTests
{
    private static readonly NetEndpoint Client = NetEndpoint.FromV4Bytes([10, 0, 0, 1], 40000);
    private static readonly NetEndpoint Server = NetEndpoint.FromV4Bytes([10, 0, 0, 2], 443);
    private static readonly DateTimeOffset T0 = DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_000);

    private static byte[] Ip4(byte proto, NetEndpoint src, NetEndpoint dst, int payload)
    {
        byte[] b = new byte[20 + payload];
        b[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), (ushort)b.Length);
        b[8] = 64;
        b[9] = proto;
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(12), (uint)src.Address);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(16), (uint)dst.Address);
        return b;
    }

    /// <summary>An IPv4 TCP segment: 20-byte header, <paramref name="payload"/> bytes of <paramref name="fill"/>.</summary>
    private static byte[] Tcp(NetEndpoint src, NetEndpoint dst, TcpFlags flags, uint seq = 1, int payload = 0, byte fill = 0)
    {
        byte[] b = Ip4(6, src, dst, 20 + payload);
        Span<byte> t = b.AsSpan(20);
        BinaryPrimitives.WriteUInt16BigEndian(t, src.Port);
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], dst.Port);
        BinaryPrimitives.WriteUInt32BigEndian(t[4..], seq);
        t[12] = 5 << 4;
        t[13] = (byte)flags;
        t[20..].Fill(fill);
        return b;
    }

    /// <summary>An ICMP port unreachable from <paramref name="router"/> quoting a segment from <paramref name="src"/>.</summary>
    private static byte[] IcmpUnreachable(NetEndpoint router, NetEndpoint src, NetEndpoint dst)
    {
        byte[] quote = Tcp(src, dst, TcpFlags.Syn)[..28];
        byte[] b = Ip4(1, router, src, 8 + quote.Length);
        b[20] = 3;
        b[21] = 3;
        quote.CopyTo(b.AsSpan(28));
        return b;
    }

    private static readonly LinkHeader Link = new(0x0800, 0, 1, 0, 6);

    /// <summary>Decodes <paramref name="bytes"/> as the reader does and offers the packet to the store.</summary>
    private static bool Add(FlowPacketStore store, byte[] bytes, double second = 0, byte pktType = 0, bool hold = true)
    {
        Assert.True(PacketDecoder.TryDecode(bytes, 0x0800, 2, pktType, T0.AddSeconds(second), bytes.Length, out PacketEvent e));
        return store.Add(e, bytes, Link with { PktType = pktType }, hold);
    }

    private static FlowPacketStore NewStore(int capacity = FlowPacketStore.DefaultCapacity, int snap = FlowPacketStore.DefaultSnapLength) =>
        new(PacketDecoder.TryDecode, capacity, snap);

    [Fact]
    public void Both_directions_of_a_flow_come_back_oldest_first_as_decoded_and_data_segments_are_not_kept()
    {
        FlowPacketStore store = NewStore();
        byte[] syn = Tcp(Client, Server, TcpFlags.Syn, 1000);
        Assert.True(Add(store, syn, 1));
        Assert.True(Add(store, Tcp(Server, Client, TcpFlags.Syn | TcpFlags.Ack, 5000), 2, pktType: 4));
        Assert.False(Add(store, Tcp(Client, Server, TcpFlags.Ack | TcpFlags.Psh, 1001, payload: 100), 3));
        Assert.True(Add(store, Tcp(Client, NetEndpoint.FromV4Bytes([10, 0, 0, 3], 443), TcpFlags.Syn), 3)); // another flow
        Assert.True(Add(store, Tcp(Server, Client, TcpFlags.Rst, 5001), 4));

        IReadOnlyList<PacketEvent> flow = store.Packets(Server, Client);
        Assert.Equal([TcpFlags.Syn, TcpFlags.Syn | TcpFlags.Ack, TcpFlags.Rst], flow.Select(p => p.Flags));
        Assert.Equal([1000u, 5000, 5001], flow.Select(p => p.Seq));
        Assert.Equal([T0.AddSeconds(1), T0.AddSeconds(2), T0.AddSeconds(4)], flow.Select(p => p.Time));
        Assert.Equal(PacketDirection.Out, flow[1].Direction);
        Assert.Equal(flow, store.Packets(Client, Server));
        PacketDecoder.TryDecode(syn, 0x0800, 2, 0, T0.AddSeconds(1), syn.Length, out PacketEvent original);
        Assert.Equal(original, flow[0]);

        IReadOnlyList<CapturedPacket> captured = store.Captured(Client, Server);
        Assert.Equal(syn, captured[0].Data);
        Assert.Equal([0, 4, 0], captured.Select(c => (int)c.Link.PktType));
        Assert.Empty(store.Packets(Client, NetEndpoint.FromV4Bytes([10, 0, 0, 4], 443)));
        Assert.Equal(4, store.PacketCount);
    }

    [Fact]
    public void An_icmp_error_joins_the_flow_it_quotes_and_v4_mapped_addresses_meet_plain_ones()
    {
        FlowPacketStore store = NewStore();
        Add(store, Tcp(Client, Server, TcpFlags.Syn));
        Assert.True(Add(store, IcmpUnreachable(NetEndpoint.FromV4Bytes([10, 0, 0, 254], 0), Client, Server), 1));
        NetEndpoint mappedClient = NetEndpoint.FromV6Bytes([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1], 40000);
        IReadOnlyList<PacketEvent> flow = store.Packets(mappedClient, Server);
        Assert.Equal(2, flow.Count);
        Assert.True(flow[1].IsIcmpError);
        Assert.Equal(Client, flow[1].InnerSource);
    }

    [Fact]
    public void A_reset_flood_keeps_the_newest_packets_cut_to_the_snap_length_and_allocates_nothing()
    {
        FlowPacketStore store = NewStore(capacity: 150, snap: 128);
        long reserved = store.BytesReserved;
        for (int i = 0; i < 10; i++) Add(store, Tcp(Client, Server, TcpFlags.Fin | TcpFlags.Ack, (uint)i, payload: 280, fill: (byte)i), i);
        Assert.Equal(10, store.Packets(Client, Server).Count);
        Assert.All(store.Captured(Client, Server), c => Assert.Equal(128, c.Data.Length)); // cut to the snap length
        Assert.Equal(Enumerable.Range(0, 10), store.Captured(Client, Server).Select(c => (int)c.Data[127]));

        // 140 more packets fill it; the 141st pushes out the oldest.
        byte[][] flood = [.. Enumerable.Range(0, 20_000).Select(i =>
            Tcp(NetEndpoint.FromV4Bytes([192, 168, (byte)(i >> 8), (byte)i], (ushort)(1024 + i)), Server, TcpFlags.Rst, (uint)i))];
        PacketEvent[] events = new PacketEvent[flood.Length];
        for (int i = 0; i < flood.Length; i++) PacketDecoder.TryDecode(flood[i], 0x0800, 2, 0, T0, flood[i].Length, out events[i]);
        for (int i = 0; i < 140; i++) store.Add(events[i], flood[i], Link);
        Assert.Equal(10, store.Packets(Client, Server).Count);
        store.Add(events[140], flood[140], Link);
        Assert.Equal(Enumerable.Range(1, 9), store.Packets(Client, Server).Select(p => (int)p.Seq));

        // The runtime may allocate a few hundred bytes once on this thread while the loop runs (tier-up, on-stack
        // replacement), so the bound is per packet: one object per packet would be at least 24 bytes each.
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 141; i < flood.Length; i++) store.Add(events[i], flood[i], Link);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < flood.Length, $"{allocated} bytes allocated for {flood.Length - 141} packets");
        Assert.Equal(150, store.PacketCount);
        Assert.Equal(10 + 20_000 - 150, store.PacketsEvicted);
        Assert.Equal(reserved, store.BytesReserved);
        Assert.Empty(store.Packets(Client, Server));
        Assert.Single(store.Packets(Server, events[^1].Source));
        Assert.Empty(store.Packets(Server, events[^151].Source));
    }

    /// <summary>
    /// Random traffic over few endpoints against a plain model, the list of the newest packets: every flow comes
    /// back with exactly the model's packets of it, in order, whichever end asks, with its bytes cut to the snap
    /// length. Packet sizes vary (the log packs records of any size and wraps around its end at any point).
    /// </summary>
    [Theory]
    [InlineData(1, 1, 128)]
    [InlineData(2, 37, 128)]
    [InlineData(3, 512, 256)]
    [InlineData(4, 5, 200)]
    public void Random_flows_come_back_as_a_list_of_the_newest_packets_says(int seed, int capacity, int snap)
    {
        FlowPacketStore store = NewStore(capacity, snap);
        long reserved = store.BytesReserved;
        Random rnd = new(seed);
        List<(FlowKey Key, uint Seq)> model = [];
        long evicted = 0;
        Dictionary<uint, int> lengths = [];
        NetEndpoint[] hosts = [.. Enumerable.Range(0, 6).Select(i => NetEndpoint.FromV4Bytes([10, 0, 0, (byte)(i + 1)], (ushort)(1000 + rnd.Next(4))))];
        for (uint seq = 1; seq <= 3000; seq++)
        {
            NetEndpoint a = hosts[rnd.Next(hosts.Length)], b = hosts[rnd.Next(hosts.Length)];
            TcpFlags flags = (rnd.Next(4)) switch { 0 => TcpFlags.Syn, 1 => TcpFlags.Ack, 2 => TcpFlags.Rst, _ => TcpFlags.Fin | TcpFlags.Ack };
            // Mostly control-packet sizes, sometimes one longer than the snap length.
            int payload = rnd.Next(3) == 0 ? rnd.Next(0, 400) : rnd.Next(0, 40);
            bool kept = Add(store, Tcp(a, b, flags, seq, payload, fill: (byte)seq), seq);
            Assert.Equal(flags != TcpFlags.Ack, kept);
            if (kept) model.Add((new FlowKey(a, b), seq));
            lengths[seq] = Math.Min(40 + payload, snap);
            if (model.Count > capacity)
            {
                model.RemoveAt(0);
                evicted++;
            }
            Assert.Equal(reserved, store.BytesReserved);
            if (seq % 97 != 0) continue;
            Assert.Equal(model.Count, store.PacketCount); // pending packets included
            Assert.Equal(evicted, store.PacketsEvicted);
            foreach (NetEndpoint x in hosts)
            {
                foreach (NetEndpoint y in hosts)
                {
                    FlowKey k = new(x, y);
                    Assert.Equal(model.Where(m => m.Key == k).Select(m => m.Seq), store.Packets(y, x).Select(p => p.Seq));
                    foreach (CapturedPacket c in store.Captured(x, y))
                    {
                        Assert.Equal(lengths[c.Event.Seq], c.Data.Length);
                        if (c.Data.Length > 40) Assert.Equal((byte)c.Event.Seq, c.Data[^1]);
                    }
                }
            }
            Assert.Equal(model.Count, store.PacketCount); // the queries moved the pending ones into the log
            Assert.Equal(evicted, store.PacketsEvicted);
        }
    }

    /// <summary>
    /// A quiet wake-up's few packets wait in the pending buffer and leave the log untouched (on the PVM machine the
    /// first write to memory after a wake-up is what costs); they are counted at once, and a query finds them, after
    /// which they are in the log. A packet larger than the buffer goes straight to the log, after the pending ones.
    /// </summary>
    [Fact]
    public void A_few_packets_wait_outside_the_log_until_a_query_or_a_full_buffer_and_keep_their_order()
    {
        byte[]? log = null;
        FlowPacketStore store = new(PacketDecoder.TryDecode, capacity: 64, snapLength: 8_000, allocate: n =>
        {
            PinnedArrayMemory m = new(n);
            log = System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(m.Memory, out ArraySegment<byte> seg) ? seg.Array : null;
            return m;
        });
        Assert.NotNull(log);
        Assert.True(Add(store, Tcp(Client, Server, TcpFlags.Syn, 1), 1));
        Assert.True(Add(store, Tcp(Server, Client, TcpFlags.Syn | TcpFlags.Ack, 2), 2));
        Assert.Equal(2, store.PacketCount);
        Assert.All(log, b => Assert.Equal(0, b)); // nothing written to the log yet
        Assert.Equal([1u, 2], store.Packets(Client, Server).Select(p => p.Seq));
        Assert.Contains(log, b => b != 0);

        // Pending again, then one larger than the buffer: the pending first, in order, then it, all in the log.
        Assert.True(Add(store, Tcp(Client, Server, TcpFlags.Fin | TcpFlags.Ack, 3), 3));
        Assert.True(Add(store, Tcp(Client, Server, TcpFlags.Rst, 4, payload: FlowPacketStore.PendingBytes + 100, fill: 7), 4));
        Assert.True(Add(store, Tcp(Server, Client, TcpFlags.Rst, 5), 5));
        Assert.Equal(5, store.PacketCount);
        IReadOnlyList<CapturedPacket> all = store.Captured(Server, Client);
        Assert.Equal([1u, 2, 3, 4, 5], all.Select(c => c.Event.Seq));
        Assert.Equal(40 + FlowPacketStore.PendingBytes + 100, all[3].Data.Length);
        Assert.Equal(7, all[3].Data[^1]);

        // A busy block's packet is not held: it and the pending one before it are in the log at once.
        byte[] before = (byte[])log.Clone();
        Assert.True(Add(store, Tcp(Client, Server, TcpFlags.Rst, 6, payload: 8, fill: 0xa6), 6));
        Assert.Equal(before, log);
        Assert.True(Add(store, Tcp(Client, Server, TcpFlags.Rst, 7, payload: 8, fill: 0xa7), 7, hold: false));
        Assert.Equal(8, log.Count(b => b == 0xa6) - before.Count(b => b == 0xa6));
        Assert.Equal(8, log.Count(b => b == 0xa7) - before.Count(b => b == 0xa7));

        // A flood fills the buffer within a block: everything stays in order and counted.
        for (uint i = 8; i <= 200; i++) Add(store, Tcp(Client, Server, TcpFlags.Rst, i), i, hold: i % 3 != 0);
        Assert.Equal(64, store.PacketCount);
        Assert.Equal(200 - 64, store.PacketsEvicted);
        Assert.Equal(Enumerable.Range(137, 64).Select(i => (uint)i), store.Packets(Client, Server).Select(p => p.Seq));
    }

    /// <summary>The capture's store keeps its log in memory mapped for transparent huge pages (2 MiB aligned, marked
    /// MADV_HUGEPAGE: "hg" in the mapping's VmFlags), keeps and returns packets from it like the array, and after
    /// Dispose keeps nothing and has unmapped it.</summary>
    [Fact]
    public unsafe void The_capture_store_logs_into_huge_page_memory_and_unmaps_it_on_dispose()
    {
        System.Buffers.IMemoryOwner<byte>? owner = null;
        int asked = 0;
        FlowPacketStore store = new(PacketDecoder.TryDecode, allocate: n => owner = HugePageMemory.Allocate(asked = n));
        Assert.NotNull(owner);
        Assert.Equal(store.BytesReserved, asked);
        Assert.True(owner.Memory.Length >= asked);
        nuint address;
        using (System.Buffers.MemoryHandle h = owner.Memory.Pin()) address = (nuint)h.Pointer;
        Assert.Equal(0u, address % (2 * 1024 * 1024));
        string flags = VmFlagsOf(address);
        // A kernel built without THP refuses the advice (the memory is then plain small pages).
        if (Directory.Exists("/sys/kernel/mm/transparent_hugepage")) Assert.Contains(" hg", " " + flags);

        for (int i = 0; i < 20; i++) Add(store, Tcp(Client, Server, TcpFlags.Rst, (uint)i, payload: 40, fill: (byte)i), i);
        Assert.Equal(Enumerable.Range(0, 20), store.Captured(Client, Server).Select(c => (int)c.Data[^1]));

        store.Dispose();
        Assert.False(Add(store, Tcp(Client, Server, TcpFlags.Syn)));
        Assert.Equal(0, store.PacketCount);
        Assert.Empty(store.Packets(Client, Server));
        Assert.Throws<ObjectDisposedException>(() => owner.Memory.Span.Length);
        Assert.Null(VmFlagsOrNull(address));
        store.Dispose(); // twice is harmless
    }

    [Fact]
    public void An_allocator_that_returns_too_little_is_refused()
    {
        System.Buffers.IMemoryOwner<byte> Small(int n) => HugePageMemory.Allocate(n / 2);
        Assert.Throws<ArgumentException>(() => new FlowPacketStore(PacketDecoder.TryDecode, capacity: 100, allocate: Small));
    }

    /// <summary>The VmFlags line of the /proc/self/smaps mapping holding <paramref name="address"/>.</summary>
    private static string VmFlagsOf(nuint address) =>
        VmFlagsOrNull(address) ?? throw new Xunit.Sdk.XunitException($"no mapping holds 0x{address:x}");

    private static string? VmFlagsOrNull(nuint address)
    {
        bool inside = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-');
            int space = line.IndexOf(' ');
            if (dash > 0 && space > dash && ulong.TryParse(line.AsSpan(0, dash), System.Globalization.NumberStyles.HexNumber, null, out ulong lo)
                && ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), System.Globalization.NumberStyles.HexNumber, null, out ulong hi))
            {
                inside = address >= lo && address < hi;
            }
            else if (inside && line.StartsWith("VmFlags:", StringComparison.Ordinal))
            {
                return line["VmFlags:".Length..].Trim();
            }
        }
        return null;
    }
}
