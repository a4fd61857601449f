using Cohort.Protocol;

namespace Cohort.Tests.Protocol;

public sealed class ProblemTests
{
    [Fact]
    public void AProblem_RoundTripsThroughItsWireForm()
    {
        var problem = new Problem(ErrorCodes.Unavailable, "The master 127.0.0.1:7001 is unreachable", 503, IsTransient: true, NeverRan: true);
        var body = ValueJson.Parse(ValueJson.Serialize(problem.ToValue()));
        Assert.Equal(problem, Problem.Read(503, body, "fallback"));
        Assert.True(WireFields.OptBool(body, "never_ran"));
        Assert.Equal("https://cohort.dev/errors/unavailable", WireFields.Str(body, "type"));
    }

    [Fact]
    public void AnOlderNodesProblem_IsCompletedFromTheCatalog()
    {
        var body = Value.Map(("code", ErrorCodes.NoLeader), ("detail", "No master is confirmed right now"), ("status", 503));
        var problem = Problem.Read(503, body, "fallback");
        Assert.True(problem.NeverRan);
        Assert.True(problem.IsTransient);

        var lost = Problem.Read(503, Value.Map(("code", ErrorCodes.Unavailable)), "the master went away");
        Assert.False(lost.NeverRan);
        Assert.Equal("the master went away", lost.Detail);
    }

    [Fact]
    public void AnErrorPageWithoutJson_IsClassifiedByItsStatus()
    {
        var problem = Problem.Read(502, Value.Null, "proxy error");
        Assert.Equal(ErrorCodes.Unavailable, problem.Code);
        Assert.False(problem.NeverRan);
        Assert.True(problem.IsTransient);
    }

    [Fact]
    public void AFailedHandler_AnswersWithTheExceptionsOwnClassification()
    {
        var refused = Problem.Of(new CohortException(ErrorCodes.Unavailable, "refused", isTransient: true) { NeverRan = true });
        Assert.Equal((ErrorCodes.Unavailable, 503, true), (refused.Code, refused.Status, refused.NeverRan));

        var bug = Problem.Of(new InvalidOperationException("boom"));
        Assert.Equal((ErrorCodes.Internal, 500, false), (bug.Code, bug.Status, bug.NeverRan));

        var timeout = Problem.Of(new TimeoutException("slow"));
        Assert.Equal((ErrorCodes.Unavailable, 503), (timeout.Code, timeout.Status));

        var back = refused.ToException();
        Assert.True(back.NeverRan);
        Assert.Equal(ErrorCodes.Unavailable, back.Code);
    }
}
