using System.Globalization;
using Cohort.Sql.Ast;
using Cohort.Sql.Parsing;

namespace Cohort.Tests.Sql.Parsing;

/// <summary>Helpers for parser tests: a fully parenthesized expression form and error capture.</summary>
internal static class SqlAssert
{
    /// <summary>Parses an expression and prints it with every operator parenthesized.</summary>
    public static string Tree(string sql) => Paren(Parser.ParseExpression(sql));

    public static T Single<T>(string sql)
        where T : Statement
    {
        var statement = Parser.Parse(sql);
        return Assert.IsType<T>(statement);
    }

    public static SqlSyntaxException Fails(string sql)
    {
        var ex = Assert.Throws<SqlSyntaxException>(() => Parser.ParseScript(sql));
        Assert.Equal("sql_syntax", ex.Code);
        Assert.False(ex.IsTransient);
        return ex;
    }

    public static string Paren(Expression expression) => expression switch
    {
        LiteralExpression literal => SqlPrinter.Literal(literal.Value),
        ParameterExpression parameter => "$" + parameter.Index.ToString(CultureInfo.InvariantCulture),
        ColumnReference column => column.Table is null ? column.Column : column.Table + "." + column.Column,
        UnaryExpression unary => "(" + unary.Operator switch
        {
            UnaryOperator.Negate => "-",
            UnaryOperator.Plus => "+",
            _ => "NOT ",
        } + Paren(unary.Operand) + ")",
        BinaryExpression binary => $"({Paren(binary.Left)} {SqlPrinter.Operator(binary.Operator)} {Paren(binary.Right)})",
        IsNullExpression isNull => $"({Paren(isNull.Operand)} IS {(isNull.Negated ? "NOT " : "")}NULL)",
        BetweenExpression between => $"({Paren(between.Operand)} {(between.Negated ? "NOT " : "")}BETWEEN {Paren(between.Low)} AND {Paren(between.High)})",
        LikeExpression like => $"({Paren(like.Operand)} {(like.Negated ? "NOT " : "")}LIKE {Paren(like.Pattern)}{(like.Escape is null ? "" : " ESCAPE " + Paren(like.Escape))})",
        InListExpression inList => $"({Paren(inList.Operand)} {(inList.Negated ? "NOT " : "")}IN ({string.Join(", ", inList.Items.Select(Paren))}))",
        InSubqueryExpression inQuery => $"({Paren(inQuery.Operand)} {(inQuery.Negated ? "NOT " : "")}IN ({inQuery.Query.ToSql()}))",
        ExistsExpression exists => $"({(exists.Negated ? "NOT " : "")}EXISTS ({exists.Query.ToSql()}))",
        SubqueryExpression subquery => $"({subquery.Query.ToSql()})",
        CastExpression cast => $"CAST({Paren(cast.Operand)} AS {cast.Type})",
        FunctionCall call => call.Name + "(" + (call.IsStar ? "*" : (call.Distinct ? "DISTINCT " : "") + string.Join(", ", call.Arguments.Select(Paren))) + ")",
        CaseExpression @case => "CASE" + (@case.Operand is null ? "" : " " + Paren(@case.Operand))
            + string.Concat(@case.Whens.Select(w => $" WHEN {Paren(w.Condition)} THEN {Paren(w.Result)}"))
            + (@case.Else is null ? "" : " ELSE " + Paren(@case.Else)) + " END",
        _ => throw new ArgumentException(expression.GetType().Name),
    };
}
