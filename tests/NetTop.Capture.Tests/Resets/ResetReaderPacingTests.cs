using NetTop.Capture.Perf;
using Xunit;

namespace NetTop.Capture.Tests.Resets;

/// <summary>
/// The reset reader's poll timeout: short while resets arrive (a lone one, which does not reach the rings'
/// quarter-full wake-up, shows well inside a refresh), stretched after a quiet spell, short again after a record.
/// </summary>
public sealed class ResetReaderPacingTests
{
    [Theory]
    [InlineData(0, ResetTraceSource.PollTimeoutMs)]
    [InlineData(ResetTraceSource.QuietAfterMs - 1, ResetTraceSource.PollTimeoutMs)]
    [InlineData(ResetTraceSource.QuietAfterMs, ResetTraceSource.QuietPollTimeoutMs)]
    [InlineData(3_600_000, ResetTraceSource.QuietPollTimeoutMs)]
    public void Timeout_follows_the_time_since_the_last_record(long sinceRecordMs, int expected) =>
        Assert.Equal(expected, ResetTraceSource.PollTimeout(sinceRecordMs));

    [Fact]
    public void The_quiet_timeout_stays_within_one_default_refresh() =>
        Assert.InRange(ResetTraceSource.QuietPollTimeoutMs, ResetTraceSource.PollTimeoutMs, 1000);
}
