using CsCheck;
using NetTop.Model.Snapshot;

namespace NetTop.Model.Tests;

public sealed class HalfOpenAgeTests
{
    [Fact]
    public void SynRecv_adds_spent_timeouts_and_elapsed_part_of_the_current_one()
    {
        // 1 s + 2 s spent, current timeout 4 s of which 3524 ms remain.
        Assert.Equal(1000 + 2000 + (4000 - 3524), HalfOpenAge.SynRecvMs(2, 3524));
        Assert.Equal(3476, HalfOpenAge.SynRecvMs(2, 3524));
    }

    [Theory]
    [InlineData(0, 1000u, 0L)]
    [InlineData(0, 250u, 750L)]
    [InlineData(1, 0u, 3000L)]
    [InlineData(3, 8000u, 7000L)]
    public void SynRecv_schedule_doubles_from_one_second(int retrans, uint expires, long expected)
    {
        Assert.Equal(expected, HalfOpenAge.SynRecvMs(retrans, expires));
    }

    [Fact]
    public void SynRecv_timeouts_cap_at_120_seconds()
    {
        // 1+2+4+8+16+32+64 = 127 s, then 120 s each (not 128 s, 256 s, ...).
        Assert.Equal(127_000 + 120_000, HalfOpenAge.SynRecvMs(7, 0));
        Assert.Equal(127_000 + 3 * 120_000 + 120_000, HalfOpenAge.SynRecvMs(10, 0));
        for (int n = 0; n < 40; n++)
        {
            long step = HalfOpenAge.SynRecvMs(n + 1, 0) - HalfOpenAge.SynRecvMs(n, 0);
            Assert.InRange(step, 1000, 120_000);
        }
    }

    [Fact]
    public void SynSent_linear_phase_keeps_one_second_timeouts()
    {
        // tcp_syn_linear_timeouts = 4: retransmits 1..4 keep the 1 s timeout.
        Assert.Equal(1000 + 1000 + (1000 - 400), HalfOpenAge.SynSentMs(2, 400, 4, null));
        Assert.Equal(2600, HalfOpenAge.SynSentMs(2, 400, 4, null));
        Assert.Equal(4000 + 1000, HalfOpenAge.SynSentMs(4, 0, 4, null));
    }

    [Fact]
    public void SynSent_doubles_after_the_linear_phase()
    {
        // Timeouts 1,1,1,1,1 (first SYN + 4 linear retransmits), then 2 s after retransmit 5, 4 s after 6, 8 s after 7.
        Assert.Equal(5000, HalfOpenAge.SynSentMs(5, 2000, 4, null));
        Assert.Equal(5000 + 2000, HalfOpenAge.SynSentMs(5, 0, 4, null));
        Assert.Equal(5000 + 2000 + 4000, HalfOpenAge.SynSentMs(6, 0, 4, null));
        Assert.Equal(5000 + 2000 + 4000 + 8000 - 3000, HalfOpenAge.SynSentMs(7, 3000, 4, null));
    }

    [Fact]
    public void SynSent_without_linear_timeouts_doubles_from_the_start()
    {
        Assert.Equal(1000 + 2000 + 4000, HalfOpenAge.SynSentMs(2, 0, 0, null));
        Assert.Equal(1000 + 2000 + (4000 - 1000), HalfOpenAge.SynSentMs(2, 1000, 0, null));
    }

    [Fact]
    public void SynSent_uses_the_current_timeout_when_given()
    {
        Assert.Equal(2000 + (3000 - 400), HalfOpenAge.SynSentMs(2, 400, 4, 3000));
        // A zero or absent rto falls back to the schedule.
        Assert.Equal(2600, HalfOpenAge.SynSentMs(2, 400, 4, 0));
    }

    [Fact]
    public void SynSent_timeouts_cap_at_120_seconds()
    {
        // linear 0: 1,2,4,...,64 (127 s) then 120 s.
        Assert.Equal(127_000 + 120_000, HalfOpenAge.SynSentMs(7, 0, 0, null));
        for (int n = 0; n < 40; n++)
        {
            long step = HalfOpenAge.SynSentMs(n + 1, 0, 4, null) - HalfOpenAge.SynSentMs(n, 0, 4, null);
            Assert.InRange(step, 1000, 120_000);
        }
    }

    [Fact]
    public void Never_negative_even_when_expires_exceeds_the_timeout()
    {
        Assert.Equal(0, HalfOpenAge.SynRecvMs(0, 5000));
        Assert.Equal(0, HalfOpenAge.SynSentMs(0, 5000, 4, null));
        Assert.Equal(1000, HalfOpenAge.SynSentMs(1, uint.MaxValue, 4, 1000));
        Gen.Select(Gen.Int[0, 60], Gen.UInt, Gen.Int[0, 10], Gen.Long[0, 200_000]).Sample((retrans, expires, linear, rto) =>
        {
            Assert.True(HalfOpenAge.SynRecvMs(retrans, expires) >= 0);
            Assert.True(HalfOpenAge.SynSentMs(retrans, expires, linear, rto) >= 0);
            Assert.True(HalfOpenAge.SynSentMs(retrans, expires, linear, null) >= 0);
        });
    }
}
