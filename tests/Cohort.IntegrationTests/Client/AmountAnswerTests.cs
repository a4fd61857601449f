using Cohort.Client;
using Cohort.Core;

namespace Cohort.IntegrationTests.Client;

/// <summary>
/// Issue 17, item 5: an amount in an answer that a decimal cannot hold exactly (beyond its range, more significant
/// digits than it has, not a number) is reported as a <see cref="CohortClientException"/>, never a bare
/// <see cref="OverflowException"/> and never rounded.
/// </summary>
public sealed class AmountAnswerTests
{
    [Theory]
    [InlineData("10000000000000000000000000000000000000000")]
    [InlineData("79228162514264337593543950336")]
    [InlineData("1123456789012345678.123456789012345676")]
    [InlineData("1e40")]
    [InlineData("lots")]
    [InlineData("")]
    public void Amount_ADecimalCannotHoldExactly_IsACohortClientException(string answer)
    {
        var error = Assert.Throws<CohortClientException>(() => ResourceClient.ToDecimal(Value.From(answer)));
        Assert.Equal("bad_answer", error.Code);
        Assert.False(error.IsTransient);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(1e40)]
    public void Amount_AsADoubleOutOfRange_IsACohortClientException(double answer) =>
        Assert.Throws<CohortClientException>(() => ResourceClient.ToDecimal(Value.From(answer)));

    [Theory]
    [InlineData("79228162514264337593543950335.00", "79228162514264337593543950335")]
    [InlineData("123456789012345678.12345678", "123456789012345678.12345678")]
    [InlineData("0.000000000000000001", "0.000000000000000001")]
    [InlineData("10.50", "10.50")]
    public void Amount_ADecimalHolds_IsExact(string answer, string expected) =>
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), ResourceClient.ToDecimal(Value.From(answer)));
}
