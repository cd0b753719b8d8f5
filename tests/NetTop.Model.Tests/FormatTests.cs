using NetTop.Model.Tables;

namespace NetTop.Model.Tests;

public sealed class FormatTests
{
    [Theory]
    [InlineData(0L, "0ms")]
    [InlineData(850L, "850ms")]
    [InlineData(999L, "999ms")]
    [InlineData(1000L, "1.0s")]
    [InlineData(3500L, "3.5s")]
    [InlineData(10_000L, "10s")]
    [InlineData(59_999L, "59s")]
    [InlineData(65_000L, "1m05s")]
    [InlineData(3_599_000L, "59m59s")]
    [InlineData((2 * 3600 + 3 * 60) * 1000L, "2h03m")]
    [InlineData((4 * 86400 + 2 * 3600) * 1000L, "4d02h")]
    public void Duration(long ms, string expected) => Assert.Equal(expected, Format.Duration(ms));

    [Theory]
    [InlineData(null, "-")]
    [InlineData(0.0, "0")]
    [InlineData(0.5, "0.5")]
    [InlineData(3.24, "3.2")]
    [InlineData(12.0, "12")]
    [InlineData(12.4, "12")]
    [InlineData(12_345.0, "12.3k")]
    [InlineData(2_500_000.0, "2.5M")]
    public void Rate(double? perSec, string expected) => Assert.Equal(expected, Format.Rate(perSec));

    [Theory]
    [InlineData(0UL, "0")]
    [InlineData(1234UL, "1234")]
    [InlineData(9999UL, "9999")]
    [InlineData(12_345UL, "12.3k")]
    [InlineData(1_200_000UL, "1.2M")]
    [InlineData(3_400_000_000UL, "3.4G")]
    public void Count(ulong n, string expected) => Assert.Equal(expected, Format.Count(n));

    [Fact]
    public void Optional_prints_question_mark_for_unknown()
    {
        Assert.Equal("?", Format.Optional(null));
        Assert.Equal("12.3k", Format.Optional(12_345));
    }

    [Theory]
    [InlineData(0.0, "░░░░░░░░░░")]
    [InlineData(0.5, "█████░░░░░")]
    [InlineData(1.0, "██████████")]
    [InlineData(7.0, "██████████")]
    [InlineData(-1.0, "░░░░░░░░░░")]
    [InlineData(0.001, "█░░░░░░░░░")]
    public void Bar_fills_proportionally_and_shows_any_nonzero_fill(double fill, string expected)
    {
        Assert.Equal(expected, Format.Bar(fill, 10));
    }

    [Fact]
    public void Bar_for_unknown_fill_is_a_question_mark_padded_to_width()
    {
        string bar = Format.Bar(null, 10);
        Assert.Equal(10, bar.Length);
        Assert.Equal("?", bar.TrimEnd());
    }
}
