using CsCheck;

namespace NetTop.Model.Tests;

public sealed class RateTrackerTests
{
    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Walks_NoData_FirstSample_Data_CounterReset_Data()
    {
        RateTracker r = default;
        Assert.Equal(RateState.NoData, r.State);
        Assert.Null(r.Rate);

        r.Update(100, S(10));
        Assert.Equal(RateState.FirstSample, r.State);
        Assert.Null(r.Rate);

        r.Update(150, S(12));
        Assert.Equal(RateState.Data, r.State);
        Assert.Equal(25.0, r.Rate!.Value, 9);

        r.Update(250, S(12.5));
        Assert.Equal(RateState.Data, r.State);
        Assert.Equal(200.0, r.Rate!.Value, 9);

        r.Update(7, S(13));
        Assert.Equal(RateState.CounterReset, r.State);
        Assert.Null(r.Rate);
        Assert.True(r.PerSec >= 0);

        r.Update(37, S(16));
        Assert.Equal(RateState.Data, r.State);
        Assert.Equal(10.0, r.Rate!.Value, 9);
    }

    [Fact]
    public void An_unchanged_counter_is_a_zero_rate_not_missing()
    {
        RateTracker r = default;
        r.Update(5, S(1));
        r.Update(5, S(2));
        Assert.Equal(RateState.Data, r.State);
        Assert.Equal(0.0, r.Rate);
    }

    [Fact]
    public void A_wrap_to_zero_is_a_reset_not_a_huge_rate()
    {
        RateTracker r = default;
        r.Update(ulong.MaxValue - 1, S(1));
        r.Update(3, S(2));
        Assert.Equal(RateState.CounterReset, r.State);
        Assert.Null(r.Rate);
    }

    [Fact]
    public void Rate_is_never_negative_and_only_present_in_Data()
    {
        Gen.Select(Gen.ULong[0, 1_000_000], Gen.Int[1, 5000]).Array[1, 30].Sample(steps =>
        {
            RateTracker r = default;
            TimeSpan at = TimeSpan.Zero;
            ulong? previous = null;
            foreach ((ulong value, int ms) in steps)
            {
                at += TimeSpan.FromMilliseconds(ms);
                r.Update(value, at);
                if (r.Rate is { } rate)
                {
                    Assert.Equal(RateState.Data, r.State);
                    Assert.True(rate >= 0, $"negative rate {rate}");
                }
                else
                {
                    Assert.NotEqual(RateState.Data, r.State);
                }
                Assert.Equal(previous is null, r.State == RateState.FirstSample);
                if (previous is { } p && value < p)
                {
                    Assert.Equal(RateState.CounterReset, r.State);
                }
                previous = value;
            }
        });
    }
}
