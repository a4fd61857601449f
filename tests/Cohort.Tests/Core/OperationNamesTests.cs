namespace Cohort.Tests.Core;

public sealed class OperationNamesTests
{
    // DESIGN.md §9, spelled out here on purpose: the wire names are a contract, so the test does not read them from the code.
    private static readonly string[] Readers = ["get", "scan", "peek", "size", "is_empty", "balance", "supply", "metadata"];
    private static readonly string[] Writers = ["put", "delete", "enqueue", "dequeue", "clear", "initialize", "mint", "burn", "transfer", "update_metadata", "sql", "payload"];

    [Fact]
    public void TheVocabulary_IsExactlyTheDesignsOperations()
    {
        Assert.Equal(Readers.Concat(Writers).Order(StringComparer.Ordinal), OperationNames.All.Order(StringComparer.Ordinal));
        Assert.Equal(OperationNames.All.Count, OperationNames.All.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void OnlyTheDeclaredReaders_OnlyRead()
    {
        Assert.All(Readers, name => Assert.True(OperationNames.OnlyReads(name), name));
        Assert.All(Writers, name => Assert.False(OperationNames.OnlyReads(name), name));
    }

    [Fact]
    public void AnUnknownName_CountsAsAWriter()
    {
        Assert.False(OperationNames.OnlyReads("frobnicate"));
        Assert.False(OperationNames.OnlyReads(Operation.Create("GET")));
    }

    [Fact]
    public void SqlText_IsNeverDeclaredReadOnly_EvenASelect()
    {
        var select = Operation.FromValue(Value.Map(("sql", "SELECT 1"), ("params", Value.List())));
        Assert.Equal(OperationNames.Sql, select.Name);
        Assert.False(OperationNames.OnlyReads(select));
    }
}
