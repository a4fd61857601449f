using System.Collections;
using Cohort.Sql.Ast;
using Cohort.Sql.Parsing;

namespace Cohort.Tests.Sql.Parsing;

public sealed class SyntaxTreeTests
{
    [Fact]
    public void Children_ForEveryNodeOfTheCorpus_AreExactlyTheNodeValuedProperties()
    {
        var types = new HashSet<Type>();
        foreach (var row in (IEnumerable<object[]>)RoundTripTests.Statements)
        {
            foreach (var node in SyntaxTree.DescendantsAndSelf(Parser.Parse((string)row[0])))
            {
                types.Add(node.GetType());
                var expected = SyntaxTree.Properties(node.GetType()).SelectMany(p => NodesIn(p.GetValue(node))).ToList();
                var actual = SyntaxTree.Children(node).ToList();
                Assert.Equal(expected.Count, actual.Count);
                Assert.All(expected.Zip(actual), pair => Assert.Same(pair.First, pair.Second));
            }
        }

        var allNodeTypes = typeof(SqlNode).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(SqlNode)) && !t.IsAbstract).ToList();
        Assert.Empty(allNodeTypes.Except(types).Select(t => t.Name));
    }

    [Fact]
    public void FindTooDeep_ReportsANodeOnlyWhenTheTreeExceedsTheLimit()
    {
        var expression = Parser.ParseExpression("a + b + c");

        Assert.Null(SyntaxTree.FindTooDeep(expression, 3));
        var deep = Assert.IsType<BinaryExpression>(SyntaxTree.FindTooDeep(expression, 2));
        Assert.Equal(BinaryOperator.Add, deep.Operator);
    }

    private static IEnumerable<SqlNode> NodesIn(object? value) => value switch
    {
        SqlNode node => [node],
        IEnumerable items and not string => items.Cast<object?>().SelectMany(NodesIn),
        _ => [],
    };
}
