using System.Runtime.CompilerServices;
using NetTop.Model.Resets;

namespace NetTop.Model.Packets;

/// <summary>
/// The link-layer fields AF_PACKET gives with each packet of a SOCK_DGRAM ("cooked") socket: what a pcap file of
/// LINKTYPE_LINUX_SLL needs to say which way a packet went and on what kind of interface, as `tcpdump -i any` does.
/// </summary>
/// <param name="Protocol">sll_protocol in host order (0x0800 IPv4, 0x86DD IPv6).</param>
/// <param name="PktType">sll_pkttype: 0 to us, 1 broadcast, 2 multicast, 3 to another host, 4 sent by us.</param>
/// <param name="HaType">sll_hatype (ARPHRD_*).</param>
/// <param name="Address">sll_addr's first <paramref name="AddressLength"/> bytes, big-endian in a ulong (at most 8).</param>
/// <param name="AddressLength">sll_halen.</param>
public readonly record struct LinkHeader(ushort Protocol, byte PktType, ushort HaType, ulong Address, byte AddressLength)
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static LinkHeader From(ushort protocol, byte pktType, ushort haType, ReadOnlySpan<byte> address)
    {
        ulong a = 0;
        int n = Math.Min(address.Length, 8);
        for (int i = 0; i < n; i++) a |= (ulong)address[i] << (56 - 8 * i);
        return new LinkHeader(protocol, pktType, haType, a, (byte)n);
    }
}

/// <summary>One kept packet: its decoded form (the timeline) and its captured bytes from the network header
/// (the pcap). <see cref="Data"/> is a copy the caller owns.</summary>
public sealed record CapturedPacket(PacketEvent Event, LinkHeader Link, byte[] Data);
