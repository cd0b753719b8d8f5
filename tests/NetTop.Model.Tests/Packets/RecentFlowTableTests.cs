using NetTop.Model.Net;
using NetTop.Model.Packets;
using NetTop.Model.Resets;

namespace NetTop.Model.Tests.Packets;

/// <summary>The capture's per-flow memories: a ring in update order over an open-addressing index.</summary>
public sealed class RecentFlowTableTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    /// <summary>
    /// Random upserts, removals and prunes over a few hosts (many repeats of one key, in both orientations), checked
    /// against a list of the ring's slots from the oldest: an update changes its flow in place and marks it, a removal
    /// leaves a hole, a new flow goes at the end; a full list first passes its marked front flows to the end (unmarked)
    /// and then drops the front slot (evicting the flow there, if any). So never more than capacity flows.
    /// </summary>
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 7)]
    [InlineData(3, 64)]
    [InlineData(4, 200)]
    public void Random_operations_match_a_clock_list_of_slots(int seed, int capacity)
    {
        RecentFlowTable<int> table = new(capacity);
        List<(FlowKey Key, long At, int Value, bool Marked)?> slots = []; // oldest first; null = a hole
        Random rnd = new(seed);
        NetEndpoint[] hosts = [.. Enumerable.Range(0, 12).Select(i => NetEndpoint.FromV4Bytes([10, 0, 0, (byte)(i % 5 + 1)], (ushort)(1000 + i)))];
        long now = 1000;
        long evicted = 0;
        int Index(FlowKey k) => slots.FindIndex(m => m is { } x && x.Key == k);
        for (int step = 0; step < 30_000; step++)
        {
            FlowKey key = new(hosts[rnd.Next(hosts.Length)], hosts[rnd.Next(hosts.Length)]);
            int at = Index(key);
            int op = rnd.Next(100);
            if (op < 80)
            {
                now += rnd.Next(3);
                ref int v = ref table.Upsert(key, now, out bool added);
                Assert.Equal(at < 0, added);
                Assert.Equal(at < 0 ? 0 : slots[at]!.Value.Value, v);
                v = step;
                if (at >= 0)
                {
                    slots[at] = (key, Math.Max(now, slots[at]!.Value.At), step, true);
                    continue;
                }
                if (slots.Count == capacity)
                {
                    while (slots[0] is { Marked: true } m)
                    {
                        slots.RemoveAt(0);
                        slots.Add(m with { Marked = false });
                    }
                    if (slots[0] is not null) evicted++;
                    slots.RemoveAt(0);
                }
                slots.Add((key, now, step, false));
            }
            else if (op < 90)
            {
                Assert.Equal(at >= 0, table.Remove(key));
                if (at >= 0) slots[at] = null;
            }
            else
            {
                long cutoff = now - rnd.Next(40);
                table.Prune(cutoff);
                while (slots.Count > 0 && (slots[0] is not { } first || first.At < cutoff)) slots.RemoveAt(0);
            }
            Assert.Equal(slots.Count(m => m is not null), table.Count);
            Assert.True(table.Count <= capacity);
            Assert.Equal(evicted, table.Evicted);
            if (step % 53 != 0) continue;
            foreach (NetEndpoint x in hosts)
            {
                foreach (NetEndpoint y in hosts)
                {
                    FlowKey k = new(x, y);
                    int i = Index(k);
                    ref int found = ref table.Find(k, out long time);
                    Assert.Equal(i < 0, System.Runtime.CompilerServices.Unsafe.IsNullRef(ref found));
                    if (i >= 0) Assert.Equal((slots[i]!.Value.At, slots[i]!.Value.Value), (time, found));
                }
            }
        }
    }

    [Fact]
    public void A_flood_of_new_flows_keeps_the_newest_capacity_and_allocates_nothing()
    {
        RecentFlowTable<long> table = new(1024);
        NetEndpoint server = NetEndpoint.FromV4Bytes([127, 0, 0, 1], 7999);
        for (int i = 0; i < 5000; i++) table.Upsert(new FlowKey(NetEndpoint.FromV4Bytes([127, 0, 0, 1], (ushort)(20000 + i)), server), i, out _) = i;
        // The runtime may allocate a few hundred bytes once on this thread while the loop runs (tier-up, on-stack
        // replacement), so the bound is per flow: one object per flow would be at least 24 bytes each.
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 5000; i < 50_000; i++) table.Upsert(new FlowKey(NetEndpoint.FromV4Bytes([127, 0, 0, 1], (ushort)(20000 + i % 40000)), server), i, out _) = i;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 45_000, $"{allocated} bytes allocated for 45,000 new flows");
        Assert.Equal(1024, table.Count);
        Assert.Equal(50_000 - 1024, table.Evicted);
        Assert.Equal(49_999, table.Find(new FlowKey(server, NetEndpoint.FromV4Bytes([127, 0, 0, 1], (ushort)(20000 + 49_999 % 40000))), out _));
        Assert.True(System.Runtime.CompilerServices.Unsafe.IsNullRef(ref table.Find(new FlowKey(server, NetEndpoint.FromV4Bytes([127, 0, 0, 1], (ushort)(20000 + 48_000 % 40000))), out _)));
    }

    [Fact]
    public void Recent_resets_tell_received_from_sent_by_orientation_and_forget_after_the_window()
    {
        NetEndpoint a = NetEndpoint.FromV4Bytes([10, 0, 0, 1], 80), b = NetEndpoint.FromV4Bytes([10, 0, 0, 2], 40000);
        PacketEvent Rst(NetEndpoint src, NetEndpoint dst, PacketDirection dir, double at, int ifIndex = 2) => new()
        {
            Time = T0.AddSeconds(at), IfIndex = ifIndex, Direction = dir, Family = IpFamily.V4, Protocol = 6,
            Source = src, Destination = dst, Flags = TcpFlags.Rst | TcpFlags.Ack, Seq = 5, Ack = 6,
        };
        RecentResets rsts = new(capacity: 16);
        WireResetClassifier wire = new();
        rsts.Observe([Rst(a, b, PacketDirection.Out, 0)], wire); // we (a) sent it: nobody here received it
        Assert.True(rsts.TryGetLast(b, a, out DateTimeOffset last));
        Assert.Equal(T0, last);
        Assert.False(rsts.TryGetReceived(b, a, out _, out _));
        Assert.False(rsts.TryGetReceived(a, b, out _, out _));

        rsts.Observe([Rst(b, a, PacketDirection.In, 0.5)], wire); // a received one from b: an abort inside a connection
        Assert.True(rsts.TryGetReceived(a, b, out DateTimeOffset at, out WireVerdict v));
        Assert.Equal((T0.AddSeconds(0.5), ResetKind.Active), (at, v.Kind));
        Assert.False(rsts.TryGetReceived(b, a, out _, out _));
        Assert.Equal(1, rsts.Count);

        // Loopback: both ends are local, so the destination received it whatever the direction says.
        NetEndpoint l1 = NetEndpoint.FromV4Bytes([127, 0, 0, 1], 7999), l2 = NetEndpoint.FromV4Bytes([127, 0, 0, 1], 20001);
        rsts.Observe([Rst(l1, l2, PacketDirection.Out, 1, ifIndex: 1) with { Flags = TcpFlags.Rst }], wire);
        Assert.True(rsts.TryGetReceived(l2, l1, out _, out WireVerdict lv));
        Assert.Equal(ResetKind.Passive, lv.Kind);
        Assert.False(rsts.TryGetReceived(l1, l2, out _, out _));

        rsts.Prune(T0.AddSeconds(2.6)); // the window is 2 s: the 0.5 s one goes, the 1 s one stays
        Assert.False(rsts.TryGetLast(a, b, out _));
        Assert.True(rsts.TryGetLast(l1, l2, out _));
        Assert.Equal(1, rsts.Count);
    }
}
