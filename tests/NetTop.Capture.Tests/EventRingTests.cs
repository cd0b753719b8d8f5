namespace NetTop.Capture.Tests;

public sealed class EventRingTests
{
    [Fact]
    public void Full_ring_drops_the_oldest_and_counts_it()
    {
        EventRing<int> ring = new(3);
        for (int i = 1; i <= 5; i++)
        {
            ring.Write(i);
        }
        Assert.Equal(3, ring.Count);
        Assert.Equal(2, ring.Dropped);
        Assert.Equal(5, ring.Written);
        List<int> got = [];
        Assert.Equal(3, ring.Drain(got));
        Assert.Equal([3, 4, 5], got);
        Assert.Equal(0, ring.Count);
    }

    [Fact]
    public void Concurrent_writers_never_exceed_capacity()
    {
        EventRing<int> ring = new(100);
        Parallel.For(0, 4, w =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                ring.Write(i);
            }
        });
        Assert.Equal(100, ring.Count);
        Assert.Equal(40_000 - 100, ring.Dropped);
    }

    [Fact]
    public void Capacity_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventRing<int>(0));
    }
}
