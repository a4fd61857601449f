using System.Collections.Immutable;
using Cohort.Sql.Ast;

namespace Cohort.Sql.Parsing;

/// <content>
/// Queries: <c>[WITH …] operand {UNION|EXCEPT|INTERSECT [ALL|DISTINCT] operand} [ORDER BY …] [LIMIT n] [OFFSET n]</c>,
/// where an operand is a SELECT, a VALUES list or a query in parentheses. INTERSECT binds tighter than UNION and
/// EXCEPT, and all three are left-associative, as in PostgreSQL.
/// </content>
internal sealed partial class Parser
{
    // Whether a query starts here (a parenthesized one is not recognized: "(" also starts an expression or a join).
    private bool IsQueryStart() => Current.IsWord("select") || Current.IsWord("values") || Current.IsWord("with");

    // Whether a query that ended here goes on (after a parenthesized first operand).
    private bool IsQueryContinuation() => Current.IsWord("union") || Current.IsWord("intersect") || Current.IsWord("except")
        || Current.IsWord("order") || Current.IsWord("limit") || Current.IsWord("offset");

    /// <summary>Parses a query; <paramref name="first"/> is its first operand when that was already parsed (in parentheses).</summary>
    private QueryExpression ParseQuery(QueryExpression? first = null)
    {
        Enter();
        QueryExpression query;
        if (first is null && Current.IsWord("with"))
        {
            var start = Advance();
            var recursive = AcceptWord("recursive");
            var ctes = ImmutableArray.CreateBuilder<CommonTableExpression>();
            do
            {
                var cte = ParseCommonTableExpression();
                if (ctes.Any(c => c.Name == cte.Name))
                {
                    throw new SqlSyntaxException($"WITH query name \"{cte.Name}\" specified more than once", cte.Position, cte.Name);
                }

                ctes.Add(cte);
            }
            while (Accept(TokenKind.Comma));

            if (Current.IsWord("insert") || Current.IsWord("update") || Current.IsWord("delete"))
            {
                throw Error("WITH before INSERT, UPDATE or DELETE is not supported");
            }

            query = new WithQuery(recursive, ctes.ToImmutable(), ParseQueryTail(ParseSetOperation(null))) { Position = start.Position };
        }
        else
        {
            query = ParseQueryTail(ParseSetOperation(first));
        }

        Leave();
        return query;
    }

    private CommonTableExpression ParseCommonTableExpression()
    {
        var start = Current;
        var name = ParseName("a name for the WITH query");
        var columns = Current.Kind == TokenKind.LeftParen ? ParseNameList("a column name") : [];
        ExpectWord("as");
        if (AcceptWord("not"))
        {
            ExpectWord("materialized");
        }
        else
        {
            AcceptWord("materialized");
        }

        var open = Expect(TokenKind.LeftParen, "'(' and the query of the WITH entry");
        if (Current.IsWord("insert") || Current.IsWord("update") || Current.IsWord("delete"))
        {
            throw Error("data-modifying statements in WITH are not supported");
        }

        var query = ParseQuery();
        Expect(TokenKind.RightParen, $"')' to close the '(' at line {open.Position.Line}, column {open.Position.Column}");
        return new CommonTableExpression(name, columns, query) { Position = start.Position };
    }

    // UNION and EXCEPT, over INTERSECT terms.
    private QueryExpression ParseSetOperation(QueryExpression? first)
    {
        var left = ParseIntersection(first);
        while (Current.IsWord("union") || Current.IsWord("except"))
        {
            var token = Advance();
            var all = ParseSetQuantifier();
            var right = ParseIntersection(null);
            left = new SetOperationQuery(token.IsWord("union") ? SetOperator.Union : SetOperator.Except, all, left, right, [], null, null) { Position = token.Position };
        }

        return left;
    }

    private QueryExpression ParseIntersection(QueryExpression? first)
    {
        var left = first ?? ParseSetOperand();
        while (Current.IsWord("intersect"))
        {
            var token = Advance();
            var all = ParseSetQuantifier();
            var right = ParseSetOperand();
            left = new SetOperationQuery(SetOperator.Intersect, all, left, right, [], null, null) { Position = token.Position };
        }

        return left;
    }

    private bool ParseSetQuantifier() => AcceptWord("all") || (!AcceptWord("distinct") && false);

    private QueryExpression ParseSetOperand()
    {
        var token = Current;
        if (token.IsWord("select"))
        {
            return ParseSelectCore();
        }

        if (token.IsWord("values"))
        {
            return new ValuesQuery(ParseValuesRows(), [], null, null) { Position = token.Position };
        }

        if (token.Kind == TokenKind.LeftParen)
        {
            Advance();
            var query = ParseQuery();
            Expect(TokenKind.RightParen, $"')' to close the '(' at line {token.Position.Line}, column {token.Position.Column}");
            return query;
        }

        throw Error(token.IsWord("with") ? "a WITH query in a set operation must be in parentheses" : "expected SELECT, VALUES or '('");
    }

    /// <summary>The rows of VALUES (the word VALUES is current), all of one width.</summary>
    private ImmutableArray<ImmutableArray<Expression>> ParseValuesRows()
    {
        ExpectWord("values");
        var rows = ImmutableArray.CreateBuilder<ImmutableArray<Expression>>();
        do
        {
            var open = Expect(TokenKind.LeftParen, "'(' and a row of values");
            Enter();
            var row = ParseExpressionList();
            Expect(TokenKind.RightParen, $"',' or ')' to close the '(' at line {open.Position.Line}, column {open.Position.Column}");
            Leave();
            if (rows.Count > 0 && row.Length != rows[0].Length)
            {
                throw ErrorAt(open, "VALUES lists must all be the same length");
            }

            rows.Add(row);
        }
        while (Accept(TokenKind.Comma));

        return rows.ToImmutable();
    }

    // ORDER BY, LIMIT, OFFSET and AS OF after a query: they apply to all of it.
    private QueryExpression ParseQueryTail(QueryExpression query)
    {
        var token = Current;
        ImmutableArray<OrderByItem> orderBy = [];
        if (AcceptWord("order"))
        {
            ExpectWord("by");
            orderBy = ParseOrderBy();
        }

        Expression? limit = null;
        Expression? offset = null;
        while (true)
        {
            if (limit is null && AcceptWord("limit"))
            {
                limit = ParseExpression();
            }
            else if (offset is null && AcceptWord("offset"))
            {
                offset = ParseExpression();
            }
            else
            {
                break;
            }
        }

        Expression? asOf = null;
        var asOfToken = Current;
        if (Current.IsWord("as") && Peek(1).IsWord("of"))
        {
            asOf = ParseAsOf();
        }

        return orderBy.IsEmpty && limit is null && offset is null && asOf is null ? query : Attach(query, orderBy, limit, offset, asOf, token, asOfToken);
    }

    // A parenthesized query keeps its own ORDER BY and LIMIT; one given after the parentheses joins them, and
    // giving one twice is an error, as in PostgreSQL.
    private static QueryExpression Attach(
        QueryExpression query, ImmutableArray<OrderByItem> orderBy, Expression? limit, Expression? offset, Expression? asOf, Token token, Token asOfToken)
    {
        void Check(bool hadOrder, bool hadLimit, bool hadOffset)
        {
            if (hadOrder && !orderBy.IsEmpty)
            {
                throw ErrorAt(token, "multiple ORDER BY clauses not allowed");
            }

            if (hadLimit && limit is not null)
            {
                throw ErrorAt(token, "multiple LIMIT clauses not allowed");
            }

            if (hadOffset && offset is not null)
            {
                throw ErrorAt(token, "multiple OFFSET clauses not allowed");
            }
        }

        switch (query)
        {
            case SelectStatement select:
                Check(!select.OrderBy.IsEmpty, select.Limit is not null, select.Offset is not null);
                if (asOf is not null && select.AsOf is not null)
                {
                    throw ErrorAt(asOfToken, "AS OF may be given only once");
                }

                return select with
                {
                    OrderBy = orderBy.IsEmpty ? select.OrderBy : orderBy,
                    Limit = limit ?? select.Limit,
                    Offset = offset ?? select.Offset,
                    AsOf = asOf ?? select.AsOf,
                };
            case WithQuery with:
                return with with { Body = Attach(with.Body, orderBy, limit, offset, asOf, token, asOfToken) };
        }

        if (asOf is not null)
        {
            throw ErrorAt(asOfToken, "AS OF applies to a single SELECT, not to a set operation or VALUES");
        }

        switch (query)
        {
            case SetOperationQuery setOperation:
                Check(!setOperation.OrderBy.IsEmpty, setOperation.Limit is not null, setOperation.Offset is not null);
                return setOperation with
                {
                    OrderBy = orderBy.IsEmpty ? setOperation.OrderBy : orderBy,
                    Limit = limit ?? setOperation.Limit,
                    Offset = offset ?? setOperation.Offset,
                };
            case ValuesQuery values:
                Check(!values.OrderBy.IsEmpty, values.Limit is not null, values.Offset is not null);
                return values with
                {
                    OrderBy = orderBy.IsEmpty ? values.OrderBy : orderBy,
                    Limit = limit ?? values.Limit,
                    Offset = offset ?? values.Offset,
                };
            default:
                throw new ArgumentException($"unknown query {query.GetType().Name}", nameof(query));
        }
    }

    // In FROM, "((" may start a parenthesized query or a parenthesized join: try the query, and go back if it is not one.
    private QueryExpression? TryParseQuery()
    {
        var (index, nesting, style, marks, max) = (_index, _nesting, _parameterStyle, _questionMarks, _maxParameter);
        try
        {
            var query = ParseQuery();
            if (Current.Kind == TokenKind.RightParen)
            {
                return query;
            }
        }
        catch (SqlSyntaxException)
        {
        }

        (_index, _nesting, _parameterStyle, _questionMarks, _maxParameter) = (index, nesting, style, marks, max);
        return null;
    }

    // After CREATE TABLE: whether [IF NOT EXISTS] name [(name, …)] AS follows.
    private bool IsCreateTableAs()
    {
        var k = Current.IsWord("if") ? 4 : 1;
        if (Peek(k).IsWord("as"))
        {
            return true;
        }

        if (Peek(k).Kind != TokenKind.LeftParen)
        {
            return false;
        }

        for (k++; Peek(k).Kind is TokenKind.Identifier or TokenKind.QuotedIdentifier; k += 2)
        {
            if (Peek(k + 1).Kind == TokenKind.RightParen)
            {
                return Peek(k + 2).IsWord("as");
            }

            if (Peek(k + 1).Kind != TokenKind.Comma)
            {
                return false;
            }
        }

        return false;
    }

    private CreateTableAsStatement ParseCreateTableAs(Token start)
    {
        var ifNotExists = ParseIfNotExists();
        var name = ParseName("a table name");
        var columns = Current.Kind == TokenKind.LeftParen ? ParseNameList("a column name") : [];
        ExpectWord("as");
        if (!(IsQueryStart() || Current.Kind == TokenKind.LeftParen))
        {
            throw Error("expected SELECT, VALUES or WITH after CREATE TABLE … AS");
        }

        return new CreateTableAsStatement(name, ifNotExists, columns, ParseQuery()) { Position = start.Position };
    }
}
