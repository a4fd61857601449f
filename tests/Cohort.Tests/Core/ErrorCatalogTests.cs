using System.Reflection;

namespace Cohort.Tests.Core;

public sealed class ErrorCatalogTests
{
    public static TheoryData<string> AllCodes() => [.. Codes()];

    [Theory]
    [MemberData(nameof(AllCodes))]
    public void EveryCode_IsInTheCatalog_WithAnErrorStatus(string code)
    {
        Assert.True(ErrorCatalog.IsKnown(code), code);
        var info = ErrorCatalog.Of(code);
        Assert.Equal(code, info.Code);
        Assert.InRange(info.Status, 400, 599);
    }

    [Fact]
    public void TheCatalog_ListsExactlyTheCodes()
    {
        Assert.Equal(Codes().Order(StringComparer.Ordinal), ErrorCatalog.All.Select(e => e.Code).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(ErrorCodes.NoLeader, 503, true, false, true)]
    [InlineData(ErrorCodes.Unavailable, 503, true, false, false)]
    [InlineData(ErrorCodes.Disposed, 503, true, false, false)]
    [InlineData(ErrorCodes.Wounded, 409, true, true, true)]
    [InlineData(ErrorCodes.LockTimeout, 409, true, true, true)]
    [InlineData(ErrorCodes.Expired, 410, true, true, true)]
    [InlineData(ErrorCodes.Aborted, 409, false, true, true)]
    [InlineData(ErrorCodes.StaleEpoch, 409, false, true, true)]
    [InlineData(ErrorCodes.BadOperation, 400, false, false, true)]
    [InlineData(ErrorCodes.InsufficientFunds, 409, false, false, true)]
    [InlineData(ErrorCodes.Corruption, 500, false, true, false)]
    [InlineData(ErrorCodes.Internal, 500, false, false, false)]
    public void Classes_AreWhatTheProtocolReliesOn(string code, int status, bool transient, bool aborts, bool neverRan)
    {
        Assert.Equal(new ErrorInfo(code, status, transient, aborts, neverRan), ErrorCatalog.Of(code));
    }

    [Fact]
    public void AnUnknownCode_IsAFailureThatMayHaveRun()
    {
        var info = ErrorCatalog.Of("from_a_newer_node");
        Assert.Equal(500, info.Status);
        Assert.False(info.NeverRan);
        Assert.False(info.IsTransient);
        Assert.False(info.AbortsTransaction);
    }

    [Theory]
    [InlineData(401, ErrorCodes.Unauthorized)]
    [InlineData(404, ErrorCodes.NotFound)]
    [InlineData(405, ErrorCodes.MethodNotAllowed)]
    [InlineData(413, ErrorCodes.TooLarge)]
    [InlineData(422, ErrorCodes.BadRequest)]
    [InlineData(503, ErrorCodes.Unavailable)]
    [InlineData(502, ErrorCodes.Unavailable)]
    [InlineData(500, ErrorCodes.Internal)]
    public void AStatusWithoutACode_GetsTheClosestCode(int status, string code) => Assert.Equal(code, ErrorCatalog.CodeOfStatus(status));

    [Fact]
    public void AnException_TakesTransienceAndNeverRanFromTheCatalog_UnlessTheThrowerKnowsBetter()
    {
        var fromCatalog = new CohortException(ErrorCodes.NoLeader, "no master");
        Assert.True(fromCatalog.IsTransient);
        Assert.True(fromCatalog.NeverRan);

        var refused = new CohortException(ErrorCodes.Unavailable, "connection refused", isTransient: true) { NeverRan = true };
        Assert.True(refused.NeverRan);
        Assert.False(new CohortException(ErrorCodes.Unavailable, "lost", isTransient: true).NeverRan);
    }

    private static IEnumerable<string> Codes() =>
        typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!);
}
