using Cohort.Protocol;

namespace Cohort.Tests.Protocol;

public sealed class ApplyAnswerTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AnApplyAnswer_RoundTripsThroughItsWireForm(bool wrote)
    {
        var answer = new ApplyAnswer(Value.Map(("affected", 3L)), wrote);
        var body = ValueJson.Parse(ValueJson.Serialize(WireFormat.ApplyAnswer(answer)));
        Assert.Equal(wrote, WireFields.OptBool(body, "wrote"));
        var read = WireFormat.ReadApplyAnswer(body);
        Assert.Equal(wrote, read.Wrote);
        Assert.Equal(3L, WireFields.Field(read.Result, "affected").AsInt64());
    }

    [Fact]
    public void AnAnswerWithoutWrote_FromAnOlderNode_CountsAsAWrite()
    {
        var read = WireFormat.ReadApplyAnswer(Value.Map(("result", Value.Null)));
        Assert.True(read.Wrote);
        Assert.True(read.Result.IsNull);
    }

    [Fact]
    public void AnAnswerWithoutResult_IsRefusedAsBadJson()
    {
        var e = Assert.Throws<CohortException>(() => WireFormat.ReadApplyAnswer(Value.Map(("wrote", false))));
        Assert.Equal(ErrorCodes.BadJson, e.Code);
    }
}
