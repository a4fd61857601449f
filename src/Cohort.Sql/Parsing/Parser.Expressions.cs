using System.Collections.Immutable;
using Cohort.Core;
using Cohort.Sql.Ast;

namespace Cohort.Sql.Parsing;

/// <content>Expressions, from OR down to primaries, and type names.</content>
internal sealed partial class Parser
{
    private Expression ParseExpression() => ParseOr();

    private ImmutableArray<Expression> ParseExpressionList()
    {
        var items = ImmutableArray.CreateBuilder<Expression>();
        do
        {
            items.Add(ParseExpression());
        }
        while (Accept(TokenKind.Comma));

        return items.ToImmutable();
    }

    private Expression ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsWord("or"))
        {
            var op = Advance();
            left = new BinaryExpression(BinaryOperator.Or, left, ParseAnd()) { Position = op.Position };
        }

        return left;
    }

    private Expression ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsWord("and"))
        {
            var op = Advance();
            left = new BinaryExpression(BinaryOperator.And, left, ParseNot()) { Position = op.Position };
        }

        return left;
    }

    private Expression ParseNot()
    {
        if (!Current.IsWord("not"))
        {
            return ParseIs();
        }

        var op = Advance();
        Enter();
        var operand = ParseNot();
        Leave();
        return operand is ExistsExpression { Negated: false } exists
            ? exists with { Negated = true, Position = op.Position }
            : new UnaryExpression(UnaryOperator.Not, operand) { Position = op.Position };
    }

    private Expression ParseIs()
    {
        var left = ParseComparison();
        if (!Current.IsWord("is"))
        {
            return left;
        }

        var op = Advance();
        var negated = AcceptWord("not");
        if (AcceptWord("distinct"))
        {
            ExpectWord("from");
            var right = ParseComparison();
            if (Current.IsWord("is"))
            {
                throw Error("IS is non-associative; use parentheses");
            }

            var kind = negated ? BinaryOperator.IsNotDistinctFrom : BinaryOperator.IsDistinctFrom;
            return new BinaryExpression(kind, left, right) { Position = op.Position };
        }

        if (!AcceptWord("null"))
        {
            throw Error(negated ? "expected NULL or DISTINCT FROM" : "expected NULL, NOT NULL or DISTINCT FROM");
        }

        if (Current.IsWord("is"))
        {
            throw Error("IS is non-associative; use parentheses");
        }

        return new IsNullExpression(left, negated) { Position = op.Position };
    }

    private Expression ParseComparison()
    {
        var left = ParseRange();
        if (ComparisonOperator(Current.Kind) is not { } op)
        {
            return left;
        }

        var token = Advance();
        var right = ParseRange();
        if (ComparisonOperator(Current.Kind) is not null)
        {
            throw Error("comparison operators are non-associative; use parentheses");
        }

        return new BinaryExpression(op, left, right) { Position = token.Position };
    }

    private static BinaryOperator? ComparisonOperator(TokenKind kind) => kind switch
    {
        TokenKind.Equal => BinaryOperator.Equal,
        TokenKind.NotEqual => BinaryOperator.NotEqual,
        TokenKind.Less => BinaryOperator.Less,
        TokenKind.LessOrEqual => BinaryOperator.LessOrEqual,
        TokenKind.Greater => BinaryOperator.Greater,
        TokenKind.GreaterOrEqual => BinaryOperator.GreaterOrEqual,
        _ => null,
    };

    private bool AtRangeOperator() =>
        Current.IsWord("between") || Current.IsWord("in") || Current.IsWord("like")
        || (Current.IsWord("not") && (Peek(1).IsWord("between") || Peek(1).IsWord("in") || Peek(1).IsWord("like")));

    // BETWEEN, IN and LIKE, with an optional NOT in front.
    private Expression ParseRange()
    {
        var left = ParseConcat();
        if (!AtRangeOperator())
        {
            return left;
        }

        var start = Current;
        var negated = AcceptWord("not");
        Expression result;
        if (AcceptWord("between"))
        {
            var low = ParseConcat();
            ExpectWord("and");
            var high = ParseConcat();
            result = new BetweenExpression(left, low, high, negated) { Position = start.Position };
        }
        else if (AcceptWord("like"))
        {
            var pattern = ParseConcat();
            var escape = AcceptWord("escape") ? ParseConcat() : null;
            result = new LikeExpression(left, pattern, escape, negated) { Position = start.Position };
        }
        else
        {
            ExpectWord("in");
            var open = Expect(TokenKind.LeftParen, "'(' after IN");
            Enter();
            if (IsQueryStart())
            {
                var query = ParseQuery();
                result = new InSubqueryExpression(left, query, negated) { Position = start.Position };
            }
            else
            {
                if (Current.Kind == TokenKind.RightParen)
                {
                    throw Error("expected an expression; IN needs at least one value");
                }

                var items = ParseExpressionList();

                // x IN ((SELECT …)) is a subquery in parentheses, as in PostgreSQL; x IN ((SELECT …) UNION (SELECT …)) too:
                // what began as a parenthesized subquery goes on as a set operation.
                result = items is [SubqueryExpression first]
                    ? new InSubqueryExpression(left, IsQueryContinuation() ? ParseQuery(first.Query) : first.Query, negated) { Position = start.Position }
                    : new InListExpression(left, items, negated) { Position = start.Position };
            }

            Expect(TokenKind.RightParen, $"',' or ')' to close the '(' at line {open.Position.Line}, column {open.Position.Column}");
            Leave();
        }

        if (AtRangeOperator())
        {
            throw Error("BETWEEN, IN and LIKE are non-associative; use parentheses");
        }

        return result;
    }

    // PostgreSQL's "any other operator" level: ||, the bitwise &, |, #, << and >> (one precedence, left to right),
    // and prefix ~, which takes everything above this level as its operand (~ 1 + 2 is ~(1 + 2)).
    private Expression ParseConcat()
    {
        var left = ParseOtherOperand();
        while (OtherOperator(Current.Kind) is { } kind)
        {
            var op = Advance();
            left = new BinaryExpression(kind, left, ParseOtherOperand()) { Position = op.Position };
        }

        return left;
    }

    private Expression ParseOtherOperand()
    {
        if (Current.Kind != TokenKind.Tilde)
        {
            return ParseAdditive();
        }

        var op = Advance();
        Enter();
        var operand = ParseOtherOperand();
        Leave();
        return new UnaryExpression(UnaryOperator.BitNot, operand) { Position = op.Position };
    }

    private static BinaryOperator? OtherOperator(TokenKind kind) => kind switch
    {
        TokenKind.Concat => BinaryOperator.Concat,
        TokenKind.Ampersand => BinaryOperator.BitAnd,
        TokenKind.Bar => BinaryOperator.BitOr,
        TokenKind.Hash => BinaryOperator.BitXor,
        TokenKind.ShiftLeft => BinaryOperator.ShiftLeft,
        TokenKind.ShiftRight => BinaryOperator.ShiftRight,
        _ => null,
    };

    private Expression ParseAdditive()
    {
        var left = ParseMultiplicative();
        while (Current.Kind is TokenKind.Plus or TokenKind.Minus)
        {
            var op = Advance();
            var kind = op.Kind == TokenKind.Plus ? BinaryOperator.Add : BinaryOperator.Subtract;
            left = new BinaryExpression(kind, left, ParseMultiplicative()) { Position = op.Position };
        }

        return left;
    }

    private Expression ParseMultiplicative()
    {
        var left = ParseUnary();
        while (Current.Kind is TokenKind.Star or TokenKind.Slash or TokenKind.Percent)
        {
            var op = Advance();
            var kind = op.Kind switch
            {
                TokenKind.Star => BinaryOperator.Multiply,
                TokenKind.Slash => BinaryOperator.Divide,
                _ => BinaryOperator.Modulo,
            };
            left = new BinaryExpression(kind, left, ParseUnary()) { Position = op.Position };
        }

        return left;
    }

    private Expression ParseUnary()
    {
        if (Current.Kind is not (TokenKind.Minus or TokenKind.Plus))
        {
            return ParsePostfix(ParsePrimary());
        }

        var op = Advance();

        // "-5" is the literal -5 (so -9223372036854775808 is an Int64), but "-5::text" is -(5::text).
        if (op.Kind == TokenKind.Minus && Current.Kind == TokenKind.Number && Peek(1).Kind != TokenKind.DoubleColon)
        {
            var number = Advance();
            return new LiteralExpression(Negate(number.Literal)) { Position = op.Position };
        }

        Enter();
        var operand = ParseUnary();
        Leave();
        var kind = op.Kind == TokenKind.Minus ? UnaryOperator.Negate : UnaryOperator.Plus;
        return new UnaryExpression(kind, operand) { Position = op.Position };
    }

    private static Value Negate(Value value) => value.Kind switch
    {
        ValueKind.Int64 => -value.AsInt64(),
        ValueKind.Double => -value.AsDouble(),
        _ when value.AsDecimal() == -(decimal)long.MinValue && value.AsDecimal().Scale == 0 => long.MinValue,
        _ => -value.AsDecimal(),
    };

    private Expression ParsePostfix(Expression operand)
    {
        while (Current.Kind == TokenKind.DoubleColon)
        {
            var op = Advance();
            operand = new CastExpression(operand, ParseType()) { Position = op.Position };
        }

        return operand;
    }

    private Expression ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Number:
                Advance();
                return new LiteralExpression(token.Literal) { Position = token.Position };
            case TokenKind.String:
                Advance();
                return new LiteralExpression(token.Name) { Position = token.Position };
            case TokenKind.Parameter:
            case TokenKind.QuestionMark:
                Advance();
                return new ParameterExpression(ParameterIndex(token)) { Position = token.Position };
            case TokenKind.LeftParen:
                return ParseParenthesized();
            case TokenKind.Tilde:
                // A prefix ~ inside an operand (1 + ~2): its own operand extends as far as at the operator level.
                return ParseOtherOperand();
            case TokenKind.Keyword when token.Name is "true" or "false":
                Advance();
                return new LiteralExpression(token.Name == "true") { Position = token.Position };
            case TokenKind.Keyword when token.Name == "null":
                Advance();
                return new LiteralExpression(Value.Null) { Position = token.Position };
            case TokenKind.Keyword when token.Name == "case":
                return ParseCase();
            case TokenKind.Keyword when token.Name == "cast":
                return ParseCast();
            case TokenKind.Keyword when token.Name == "exists":
                return ParseExists();
            case TokenKind.Keyword when token.Name is "left" or "right" && Peek(1).Kind == TokenKind.LeftParen:
                // LEFT and RIGHT are reserved (joins) but are also the functions left(text, n) and right(text, n).
                return ParseFunctionCall();
            case TokenKind.Identifier or TokenKind.QuotedIdentifier:
                return ParseNameExpression();
            default:
                throw Error("expected an expression");
        }
    }

    private int ParameterIndex(Token token)
    {
        var style = token.Kind == TokenKind.QuestionMark ? '?' : '$';
        if (_parameterStyle != '\0' && _parameterStyle != style)
        {
            throw ErrorAt(token, "cannot mix $n and ? parameters in one statement");
        }

        _parameterStyle = style;
        var index = style == '?' ? ++_questionMarks : token.ParameterIndex;
        if (index > MaxParameters)
        {
            throw ErrorAt(token, $"too many parameters (at most {MaxParameters})");
        }

        _maxParameter = Math.Max(_maxParameter, index);
        return index;
    }

    private Expression ParseParenthesized()
    {
        var open = Advance();
        Enter();
        Expression result;
        if (IsQueryStart())
        {
            result = new SubqueryExpression(ParseQuery()) { Position = open.Position };
        }
        else
        {
            result = ParseExpression();
            if (result is SubqueryExpression first && IsQueryContinuation())
            {
                // ((SELECT …) UNION (SELECT …)): what began as a parenthesized subquery goes on as a set operation.
                result = new SubqueryExpression(ParseQuery(first.Query)) { Position = open.Position };
            }
        }

        Expect(TokenKind.RightParen, $"')' to close the '(' at line {open.Position.Line}, column {open.Position.Column}");
        Leave();
        return result;
    }

    private Expression ParseNameExpression()
    {
        var first = Current;
        if (Peek(1).Kind == TokenKind.LeftParen)
        {
            return ParseFunctionCall();
        }

        // A typed literal such as TIMESTAMP '2024-01-01 00:00:00'.
        if (first.Kind == TokenKind.Identifier && Peek(1).Kind == TokenKind.String && IsTypeWord(first.Name))
        {
            var type = ParseType();
            var text = Advance();
            return new CastExpression(new LiteralExpression(text.Name) { Position = text.Position }, type) { Position = first.Position };
        }

        Advance();
        if (first.Kind == TokenKind.Identifier && IsDateTimeKeyword(first.Name) && Current.Kind != TokenKind.Dot)
        {
            // CURRENT_DATE and friends are SQL's functions without parentheses.
            return new FunctionCall(first.Name, [], Distinct: false, IsStar: false) { Position = first.Position };
        }

        if (!Accept(TokenKind.Dot))
        {
            return new ColumnReference(null, first.Name) { Position = first.Position };
        }

        if (Current.Kind == TokenKind.Star)
        {
            throw Error("t.* is only allowed in a select list or RETURNING list");
        }

        var column = ParseName("a column name");
        return new ColumnReference(first.Name, column) { Position = first.Position };
    }

    private FunctionCall ParseFunctionCall()
    {
        var name = Advance();
        var open = Advance();
        Enter();
        FunctionCall call;
        if (name.Kind == TokenKind.Identifier && ParseSpecialCall(name) is { } special)
        {
            call = special;
        }
        else if (Accept(TokenKind.Star))
        {
            call = new FunctionCall(name.Name, [], Distinct: false, IsStar: true) { Position = name.Position };
        }
        else
        {
            var distinct = AcceptWord("distinct");
            if (!distinct)
            {
                AcceptWord("all");
            }

            var arguments = !distinct && Current.Kind == TokenKind.RightParen ? [] : ParseExpressionList();
            call = new FunctionCall(name.Name, arguments, distinct, IsStar: false) { Position = name.Position };
        }

        Expect(TokenKind.RightParen, $"',' or ')' to close the '(' at line {open.Position.Line}, column {open.Position.Column}");
        Leave();
        return call;
    }

    /// <summary>
    /// The SQL-standard call forms with keywords between the arguments, rewritten to the plain functions PostgreSQL
    /// rewrites them to: <c>SUBSTRING(x FROM a FOR b)</c> → <c>substring(x, a, b)</c>, <c>TRIM(BOTH|LEADING|TRAILING c FROM x)</c>
    /// → <c>btrim|ltrim|rtrim(x, c)</c>, <c>POSITION(a IN b)</c> → <c>strpos(b, a)</c>. Null when the call is an ordinary one.
    /// </summary>
    private FunctionCall? ParseSpecialCall(Token name)
    {
        switch (name.Name)
        {
            case "substring":
            {
                if (Current.Kind == TokenKind.RightParen)
                {
                    return null;
                }

                var text = ParseExpression();
                Expression? from = null, count = null;
                if (AcceptWord("from"))
                {
                    from = ParseExpression();
                    count = AcceptWord("for") ? ParseExpression() : null;
                }
                else if (AcceptWord("for"))
                {
                    count = ParseExpression();
                    from = AcceptWord("from") ? ParseExpression() : null;
                }
                else if (Accept(TokenKind.Comma))
                {
                    var rest = ParseExpressionList();
                    return new FunctionCall("substring", [text, .. rest], Distinct: false, IsStar: false) { Position = name.Position };
                }
                else
                {
                    return new FunctionCall("substring", [text], Distinct: false, IsStar: false) { Position = name.Position };
                }

                if (from is null)
                {
                    // As PostgreSQL's grammar: SUBSTRING(x FOR n) is substring(x, 1, n::integer).
                    from = new LiteralExpression(1L) { Position = name.Position };
                    count = new CastExpression(count!, new SqlType(SqlTypeKind.Integer)) { Position = count!.Position };
                }

                return new FunctionCall("substring", count is null ? [text, from] : [text, from, count], Distinct: false, IsStar: false) { Position = name.Position };
            }

            case "trim":
            {
                var function = AcceptWord("leading") ? "ltrim" : AcceptWord("trailing") ? "rtrim" : "btrim";
                if (function == "btrim")
                {
                    AcceptWord("both");
                }

                if (AcceptWord("from"))
                {
                    return new FunctionCall(function, [ParseExpression()], Distinct: false, IsStar: false) { Position = name.Position };
                }

                var first = ParseExpression();
                if (AcceptWord("from"))
                {
                    return new FunctionCall(function, [ParseExpression(), first], Distinct: false, IsStar: false) { Position = name.Position };
                }

                ImmutableArray<Expression> arguments = Accept(TokenKind.Comma) ? [first, .. ParseExpressionList()] : [first];
                return new FunctionCall(function, arguments, Distinct: false, IsStar: false) { Position = name.Position };
            }

            case "extract" when (Current.Kind is TokenKind.Identifier or TokenKind.Keyword or TokenKind.String) && Peek(1).IsWord("from"):
            {
                // EXTRACT(field FROM source) is extract('field', source).
                var field = Advance();
                ExpectWord("from");
                var source = ParseExpression();
                Expression fieldName = new LiteralExpression(field.Name) { Position = field.Position };
                return new FunctionCall("extract", [fieldName, source], Distinct: false, IsStar: false) { Position = name.Position };
            }

            case "position":
            {
                // POSITION(b_expr IN b_expr): the operands stop below IN, so IN is the separator, not a predicate.
                var needle = ParseConcat();
                ExpectWord("in");
                var haystack = ParseConcat();
                return new FunctionCall("strpos", [haystack, needle], Distinct: false, IsStar: false) { Position = name.Position };
            }

            default:
                return null;
        }
    }

    private CaseExpression ParseCase()
    {
        var start = Advance();
        Enter();
        var operand = Current.IsWord("when") ? null : ParseExpression();
        var whens = ImmutableArray.CreateBuilder<WhenClause>();
        while (Current.IsWord("when"))
        {
            var when = Advance();
            var condition = ParseExpression();
            ExpectWord("then");
            whens.Add(new WhenClause(condition, ParseExpression()) { Position = when.Position });
        }

        if (whens.Count == 0)
        {
            throw Error("expected WHEN");
        }

        var otherwise = AcceptWord("else") ? ParseExpression() : null;
        if (!Current.IsWord("end"))
        {
            throw Error(otherwise is null ? "expected WHEN, ELSE or END" : "expected END");
        }

        Advance();
        Leave();
        return new CaseExpression(operand, whens.ToImmutable(), otherwise) { Position = start.Position };
    }

    private CastExpression ParseCast()
    {
        var start = Advance();
        var open = Expect(TokenKind.LeftParen, "'(' after CAST");
        Enter();
        var operand = ParseExpression();
        ExpectWord("as");
        var type = ParseType();
        Expect(TokenKind.RightParen, $"')' to close the '(' at line {open.Position.Line}, column {open.Position.Column}");
        Leave();
        return new CastExpression(operand, type) { Position = start.Position };
    }

    private ExistsExpression ParseExists()
    {
        var start = Advance();
        var open = Expect(TokenKind.LeftParen, "'(' after EXISTS");
        if (!(IsQueryStart() || Current.Kind == TokenKind.LeftParen))
        {
            throw Error("expected SELECT");
        }

        Enter();
        var query = ParseQuery();
        Expect(TokenKind.RightParen, $"')' to close the '(' at line {open.Position.Line}, column {open.Position.Column}");
        Leave();
        return new ExistsExpression(query, Negated: false) { Position = start.Position };
    }

    /// <summary>Whether <paramref name="word"/> is one of SQL's date/time functions written without parentheses.</summary>
    internal static bool IsDateTimeKeyword(string word) => word is "current_date" or "current_time" or "current_timestamp" or "localtimestamp" or "localtime";

    private static bool IsTypeWord(string word) => word is "smallint" or "int2" or "integer" or "int" or "int4" or "bigint"
        or "int8" or "real" or "float4" or "float" or "float8" or "double" or "decimal" or "numeric" or "text" or "varchar"
        or "boolean" or "bool" or "timestamp" or "bytea" or "date" or "time" or "interval" or "uuid";

    private SqlType ParseType()
    {
        var token = Current;
        if (token.Kind != TokenKind.Identifier)
        {
            throw Error("expected a type name");
        }

        Advance();
        switch (token.Name)
        {
            case "smallint" or "int2":
                return new SqlType(SqlTypeKind.SmallInt);
            case "integer" or "int" or "int4":
                return new SqlType(SqlTypeKind.Integer);
            case "bigint" or "int8":
                return new SqlType(SqlTypeKind.BigInt);
            case "real" or "float4":
                return new SqlType(SqlTypeKind.Real);
            case "float" or "float8":
                return new SqlType(SqlTypeKind.Double);
            case "double":
                AcceptWord("precision");
                return new SqlType(SqlTypeKind.Double);
            case "decimal" or "numeric":
                if (!Accept(TokenKind.LeftParen))
                {
                    return new SqlType(SqlTypeKind.Decimal);
                }

                var precision = ParseTypeNumber(1, 1000, "a precision between 1 and 1000");
                var scale = Accept(TokenKind.Comma) ? ParseTypeNumber(0, precision, $"a scale between 0 and the precision {precision}") : 0;
                Expect(TokenKind.RightParen, "')'");
                return new SqlType(SqlTypeKind.Decimal, precision, scale);
            case "text":
                return new SqlType(SqlTypeKind.Text);
            case "character":
                ExpectWord("varying");
                return ParseVarcharLength();
            case "varchar":
                return ParseVarcharLength();
            case "boolean" or "bool":
                return new SqlType(SqlTypeKind.Boolean);
            case "timestamp":
                if (AcceptWord("without"))
                {
                    ExpectWord("time");
                    ExpectWord("zone");
                }

                return new SqlType(SqlTypeKind.Timestamp);
            case "bytea":
                return new SqlType(SqlTypeKind.Bytea);
            case "date":
                return new SqlType(SqlTypeKind.Date);
            case "time":
                if (AcceptWord("without"))
                {
                    ExpectWord("time");
                    ExpectWord("zone");
                }
                else if (Current.IsWord("with") && Peek(1).IsWord("time"))
                {
                    throw Error("TIME WITH TIME ZONE is not supported");
                }

                return new SqlType(SqlTypeKind.Time);
            case "interval":
                return new SqlType(SqlTypeKind.Interval);
            case "uuid":
                return new SqlType(SqlTypeKind.Uuid);
            default:
                throw ErrorAt(token, "unknown type; expected INTEGER, BIGINT, SMALLINT, DOUBLE PRECISION, REAL, DECIMAL, TEXT, VARCHAR, BOOLEAN, TIMESTAMP, DATE, TIME, INTERVAL, UUID or BYTEA");
        }
    }

    private SqlType ParseVarcharLength()
    {
        if (!Accept(TokenKind.LeftParen))
        {
            return new SqlType(SqlTypeKind.Varchar);
        }

        var length = ParseTypeNumber(1, 10485760, "a length between 1 and 10485760");
        Expect(TokenKind.RightParen, "')'");
        return new SqlType(SqlTypeKind.Varchar, Length: length);
    }

    private int ParseTypeNumber(int min, int max, string description)
    {
        var token = Current;
        if (token.Kind != TokenKind.Number || token.Literal.Kind != ValueKind.Int64 || token.Literal.AsInt64() < min || token.Literal.AsInt64() > max)
        {
            throw Error($"expected {description}");
        }

        Advance();
        return (int)token.Literal.AsInt64();
    }
}
