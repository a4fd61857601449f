using System.Collections.Immutable;
using Cohort.Sql.Ast;
using Cohort.Sql.Parsing;

namespace Cohort.Tests.Sql.Parsing;

/// <summary>Random expression trees must print as SQL that parses back to the same tree.</summary>
public sealed class PrinterFuzzTests
{
    private static readonly SelectStatement _query = (SelectStatement)Parser.Parse("SELECT x FROM u");

    [Fact]
    public void ToSql_RandomExpressionTrees_ParseBackToTheSameTree()
    {
        var random = new Random(1234);
        for (var i = 0; i < 5000; i++)
        {
            var expression = Generate(random, 5);
            var printed = expression.ToSql();
            var reparsed = Parser.ParseExpression(printed);
            Assert.True(SyntaxComparer.Instance.Equals(expression, reparsed), $"printed: {printed}\nreprinted: {reparsed.ToSql()}");
        }
    }

    private static Expression Generate(Random random, int depth)
    {
        if (depth == 0 || random.Next(4) == 0)
        {
            return random.Next(8) switch
            {
                0 => new LiteralExpression(random.Next(-3, 4)),
                1 => new LiteralExpression(random.Next(2) == 0 ? -1.25m : 2.50m),
                2 => new LiteralExpression(random.Next(2) == 0 ? -1e-3 : 2.5),
                3 => new LiteralExpression(random.Next(3) switch { 0 => Value.Null, 1 => Value.True, _ => Value.From("s'q") }),
                4 => new ParameterExpression(random.Next(1, 4)),
                5 => new ColumnReference(random.Next(2) == 0 ? null : "t", random.Next(2) == 0 ? "a" : "Mixed Case"),
                6 => new SubqueryExpression(_query),
                _ => new FunctionCall("count", [], Distinct: false, IsStar: true),
            };
        }

        Expression Next() => Generate(random, depth - 1);
        return random.Next(14) switch
        {
            0 or 1 or 2 => new BinaryExpression((BinaryOperator)random.Next(14), Next(), Next()),
            3 => Unary((UnaryOperator)random.Next(3), Next()),
            4 => new IsNullExpression(Next(), random.Next(2) == 0),
            5 => new BetweenExpression(Next(), Next(), Next(), random.Next(2) == 0),
            6 => new InListExpression(Next(), [Next(), Next()], random.Next(2) == 0),
            7 => new InSubqueryExpression(Next(), _query, random.Next(2) == 0),
            8 => new ExistsExpression(_query, random.Next(2) == 0),
            9 => new LikeExpression(Next(), Next(), random.Next(2) == 0 ? null : Next(), random.Next(2) == 0),
            10 => new CaseExpression(random.Next(2) == 0 ? null : Next(), [new WhenClause(Next(), Next())], random.Next(2) == 0 ? null : Next()),
            11 => new CastExpression(Next(), new SqlType(SqlTypeKind.Decimal, 10, 2)),
            12 => new FunctionCall("f", [Next(), Next()], random.Next(2) == 0, IsStar: false),
            _ => Unary(UnaryOperator.Negate, Next()),
        };
    }

    // The parser folds NOT into EXISTS, so a generated tree must already be in that form.
    private static Expression Unary(UnaryOperator op, Expression operand) =>
        op == UnaryOperator.Not && operand is ExistsExpression { Negated: false } exists
            ? exists with { Negated = true }
            : new UnaryExpression(op, operand);
}
