using Cohort.Protocol;
using Cohort.Server.Services;

namespace Cohort.Tests.Server;

public sealed class TransactionDirectoryTests
{
    private static readonly TxId[] Ids = [.. Enumerable.Range(1, 6).Select(i => new TxId(1, (ulong)i))];

    [Fact]
    public void Page_AnswersFromSeveralNodes_DropsRepeatsAndOrdersByTxId()
    {
        var found = new[] { Ids[2], Ids[0], Ids[2], Ids[1] }.Select(Entry);

        var page = TransactionDirectory.Page(found, limit: 5);

        Assert.Equal([Ids[0].ToString(), Ids[1].ToString(), Ids[2].ToString()], page.Transactions.Select(t => t.AsString()));
        Assert.Null(page.Next);
    }

    [Fact]
    public void Page_MoreThanTheLimit_CutsAndPointsAtTheLastOneShown()
    {
        var found = Ids.Reverse().Select(Entry);

        var page = TransactionDirectory.Page(found, limit: 2);

        Assert.Equal([Ids[0].ToString(), Ids[1].ToString()], page.Transactions.Select(t => t.AsString()));
        Assert.Equal(Ids[1], page.Next);
    }

    [Fact]
    public void Page_ExactlyTheLimit_HasNoNextPage()
    {
        var page = TransactionDirectory.Page(Ids.Take(3).Select(Entry), limit: 3);

        Assert.Equal(3, page.Transactions.Count);
        Assert.Null(page.Next);
    }

    [Fact]
    public void Page_LimitBelowOne_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TransactionDirectory.Page([], limit: 0));

    [Fact]
    public void ListQuery_NamesLimitStateAndCursor()
    {
        Assert.Equal("?limit=11", TransactionDirectory.ListQuery(null, 11, null));
        Assert.Equal($"?limit=3&state=in-doubt&after={Ids[0]}", TransactionDirectory.ListQuery(TransactionState.InDoubt, 3, Ids[0]));
    }

    private static (TxId, Value) Entry(TxId id) => (id, Value.From(id.ToString()));
}
