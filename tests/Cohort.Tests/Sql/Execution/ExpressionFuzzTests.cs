using System.Collections.Immutable;
using System.Globalization;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;
using Cohort.Sql.Parsing;

namespace Cohort.Tests.Sql.Execution;

/// <summary>
/// Random typed expressions, printed, parsed, compiled and evaluated over random rows, against a direct
/// interpreter that follows the SQL definitions by rewriting (BETWEEN as two comparisons, IN as ORs, simple CASE
/// as searched CASE, NULLIF as CASE…). Values and error messages must agree.
/// </summary>
public sealed class ExpressionFuzzTests
{
    private static readonly string[] Names = ["a", "b", "c", "s", "p", "q"];

    private static readonly RowSchema Schema = RowSchema.ForTable("t", Names.Select(n => (n, (SqlType?)null)));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void CompiledEvaluator_AgreesWithReferenceInterpreter(int seed)
    {
        var random = new Random(seed);
        var generator = new Generator(random);
        var errors = 0;
        var nonNull = 0;
        for (var i = 0; i < 1500; i++)
        {
            var original = random.Next(4) switch
            {
                0 => generator.Int(4),
                1 => generator.Text(4),
                2 => generator.Decimal(4),
                _ => generator.Bool(4),
            };
            var sql = original.ToSql();
            var parsed = Parser.ParseExpression(sql);
            var compiled = ExpressionCompiler.Compile(parsed, Schema);
            for (var r = 0; r < 3; r++)
            {
                var row = RandomRow(random);
                Value[] parameters = [random.Next(3) == 0 ? Value.Null : random.Next(-3, 4)];
                var context = new EvaluationContext(parameters);
                var expected = Outcome(() => Reference.Eval(parsed, row, parameters));
                var actual = Outcome(() => compiled.Evaluate(row, context));
                Assert.True(expected == actual, $"{sql}\nrow: {string.Join(", ", row)}  $1: {parameters[0]}\nreference: {expected}\ncompiled:  {actual}");
                errors += expected.StartsWith("error", StringComparison.Ordinal) ? 1 : 0;
                nonNull += expected.StartsWith("error", StringComparison.Ordinal) || expected.StartsWith("Null", StringComparison.Ordinal) ? 0 : 1;
            }
        }

        // The generator is typed, so errors (division by zero, overflow) should be the exception, not the rule.
        // A useful run is a mix: mostly values, not all NULLs, some errors.
        Assert.InRange(errors, 1, 1500);
        Assert.InRange(nonNull, 1500, 4500);
    }

    private static string Outcome(Func<Value> evaluate)
    {
        try
        {
            var value = evaluate();
            return $"{value.Kind}:{value}";
        }
        catch (CohortException e)
        {
            return "error: " + e.Message;
        }
    }

    private static Value[] RandomRow(Random random)
    {
        Value Pick(params Value[] choices) => choices[random.Next(choices.Length)];
        return
        [
            Pick(Value.Null, -3, -1, 0, 1, 2, 3, long.MaxValue),
            Pick(Value.Null, -2, 0, 1, 5),
            Pick(Value.Null, 0.00m, 1.50m, -2.25m, 10m, 0.125m),
            Pick(Value.Null, "", "a", "Ab", "a%b", "xyz"),
            Pick(Value.Null, true, false),
            Pick(Value.Null, true, false),
        ];
    }

    /// <summary>Builds random, mostly well-typed expression trees.</summary>
    private sealed class Generator(Random random)
    {
        public Expression Int(int depth)
        {
            if (depth <= 0 || random.Next(4) == 0)
            {
                return random.Next(6) switch
                {
                    0 => Lit(random.Next(-5, 6)),
                    1 => Lit(random.Next(8) == 0 ? Value.Null : long.MaxValue - random.Next(2)),
                    2 => new ParameterExpression(1),
                    3 => new ColumnReference(null, "b"),
                    _ => new ColumnReference(random.Next(2) == 0 ? "t" : null, "a"),
                };
            }

            return random.Next(10) switch
            {
                0 or 1 or 2 => new BinaryExpression((BinaryOperator)random.Next(5), Int(depth - 1), Int(depth - 1)),
                3 => new UnaryExpression(UnaryOperator.Negate, Int(depth - 1)),
                4 => Case(depth, Int),
                5 => Call("coalesce", Int(depth - 1), Int(depth - 1), Int(depth - 1)),
                6 => Call("nullif", Int(depth - 1), Int(depth - 1)),
                7 => Call("abs", Int(depth - 1)),
                8 => Call("length", Text(depth - 1)),
                _ => Call("abs", Call("nullif", Int(depth - 1), Int(depth - 1))),
            };
        }

        public Expression Decimal(int depth)
        {
            if (depth <= 0 || random.Next(4) == 0)
            {
                return random.Next(4) switch
                {
                    0 => Lit(new[] { 1.50m, -0.5m, 2.25m, 0.0m, 3.125m }[random.Next(5)]),
                    1 => Int(0),
                    _ => new ColumnReference(null, "c"),
                };
            }

            return random.Next(6) switch
            {
                0 or 1 => new BinaryExpression((BinaryOperator)random.Next(4), Decimal(depth - 1), random.Next(2) == 0 ? Decimal(depth - 1) : Int(depth - 1)),
                2 => Call("round", Decimal(depth - 1), Lit(random.Next(0, 3))),
                3 => Call("abs", Decimal(depth - 1)),
                4 => Case(depth, Decimal),
                _ => new UnaryExpression(UnaryOperator.Negate, Decimal(depth - 1)),
            };
        }

        public Expression Text(int depth)
        {
            if (depth <= 0 || random.Next(4) == 0)
            {
                return random.Next(3) switch
                {
                    0 => Lit(new Value[] { "a", "B", "ab%", "", "x_z", Value.Null }[random.Next(6)]),
                    _ => new ColumnReference(null, "s"),
                };
            }

            return random.Next(6) switch
            {
                0 => new BinaryExpression(BinaryOperator.Concat, Text(depth - 1), random.Next(2) == 0 ? Text(depth - 1) : Int(depth - 1)),
                1 => Call(random.Next(2) == 0 ? "lower" : "upper", Text(depth - 1)),
                2 => new CastExpression(Int(depth - 1), new SqlType(SqlTypeKind.Text)),
                3 => Call("coalesce", Text(depth - 1), Text(depth - 1)),
                4 => Call("nullif", Text(depth - 1), Text(depth - 1)),
                _ => Case(depth, Text),
            };
        }

        public Expression Bool(int depth)
        {
            if (depth <= 0 || random.Next(5) == 0)
            {
                return random.Next(4) switch
                {
                    0 => Lit(new[] { Value.True, Value.False, Value.Null }[random.Next(3)]),
                    1 => new ColumnReference(null, "q"),
                    _ => new ColumnReference(null, "p"),
                };
            }

            var comparison = (BinaryOperator)random.Next((int)BinaryOperator.Equal, (int)BinaryOperator.GreaterOrEqual + 1);
            return random.Next(14) switch
            {
                0 => new BinaryExpression(comparison, Int(depth - 1), Int(depth - 1)),
                1 => new BinaryExpression(comparison, Decimal(depth - 1), Int(depth - 1)),
                2 => new BinaryExpression(comparison, Text(depth - 1), Text(depth - 1)),
                3 or 4 => new BinaryExpression(random.Next(2) == 0 ? BinaryOperator.And : BinaryOperator.Or, Bool(depth - 1), Bool(depth - 1)),
                5 => new UnaryExpression(UnaryOperator.Not, Bool(depth - 1)),
                6 => new IsNullExpression(random.Next(3) switch { 0 => Int(depth - 1), 1 => Text(depth - 1), _ => Bool(depth - 1) }, random.Next(2) == 0),
                7 => new BetweenExpression(Int(depth - 1), Int(depth - 1), Int(depth - 1), random.Next(2) == 0),
                8 => new InListExpression(Int(depth - 1), [.. Enumerable.Range(0, random.Next(1, 4)).Select(_ => Int(depth - 1))], random.Next(2) == 0),
                9 => new InListExpression(Text(depth - 1), [Text(depth - 1), Text(0)], random.Next(2) == 0),
                10 => new LikeExpression(Text(depth - 1), Lit(new[] { "a%", "%b", "_", "%", "A_", "a\\%b", "ab#%" }[random.Next(7)]), random.Next(3) == 0 ? Lit("#") : null, random.Next(2) == 0),
                11 => Case(depth, Bool),
                12 => new BinaryExpression(BinaryOperator.Equal, Bool(depth - 1), Bool(depth - 1)),
                _ => new BetweenExpression(Text(depth - 1), Text(0), Text(0), random.Next(2) == 0),
            };
        }

        private Expression Case(int depth, Func<int, Expression> result)
        {
            var arms = Enumerable.Range(0, random.Next(1, 3));
            var otherwise = random.Next(2) == 0 ? result(depth - 1) : null;
            return random.Next(2) == 0
                ? new CaseExpression(null, [.. arms.Select(_ => new WhenClause(Bool(depth - 1), result(depth - 1)))], otherwise)
                : new CaseExpression(Int(depth - 1), [.. arms.Select(_ => new WhenClause(Int(depth - 1), result(depth - 1)))], otherwise);
        }

        private static LiteralExpression Lit(Value value) => new(value);

        private static FunctionCall Call(string name, params Expression[] args) => new(name, [.. args], Distinct: false, IsStar: false);
    }

    /// <summary>A direct interpreter over the syntax tree, defined by rewriting into simpler SQL where it can.</summary>
    private static class Reference
    {
        public static Value Eval(Expression e, Value[] row, Value[] parameters)
        {
            Value Ev(Expression x) => Eval(x, row, parameters);
            switch (e)
            {
                case LiteralExpression l:
                    return l.Value;
                case ParameterExpression p:
                    return parameters[p.Index - 1];
                case ColumnReference c:
                    return row[Array.IndexOf(Names, c.Column)];
                case UnaryExpression { Operator: UnaryOperator.Negate } u:
                    return SqlSemantics.Negate(Ev(u.Operand));
                case UnaryExpression { Operator: UnaryOperator.Not } u:
                    return Ev(u.Operand) is var v && v.IsNull ? v : Value.From(!v.AsBool());
                case BinaryExpression { Operator: BinaryOperator.And } b:
                {
                    var l = Ev(b.Left);
                    if (l.Kind == ValueKind.Bool && !l.AsBool())
                    {
                        return Value.False;
                    }

                    var r = Ev(b.Right);
                    return r.Kind == ValueKind.Bool && !r.AsBool() ? Value.False : l.IsNull || r.IsNull ? Value.Null : Value.True;
                }

                case BinaryExpression { Operator: BinaryOperator.Or } b:
                {
                    var l = Ev(b.Left);
                    if (l.Kind == ValueKind.Bool && l.AsBool())
                    {
                        return Value.True;
                    }

                    var r = Ev(b.Right);
                    return r.Kind == ValueKind.Bool && r.AsBool() ? Value.True : l.IsNull || r.IsNull ? Value.Null : Value.False;
                }

                case BinaryExpression b when b.Operator >= BinaryOperator.Equal:
                    return SqlSemantics.Comparison(b.Operator, Ev(b.Left), Ev(b.Right));
                case BinaryExpression b:
                    return SqlSemantics.Arithmetic(b.Operator, Ev(b.Left), Ev(b.Right));
                case IsNullExpression n:
                    return Value.From(Ev(n.Operand).IsNull != n.Negated);
                case BetweenExpression b:
                {
                    Expression rewritten = new BinaryExpression(
                        BinaryOperator.And,
                        new BinaryExpression(BinaryOperator.GreaterOrEqual, b.Operand, b.Low),
                        new BinaryExpression(BinaryOperator.LessOrEqual, b.Operand, b.High));
                    return Ev(b.Negated ? new UnaryExpression(UnaryOperator.Not, rewritten) : rewritten);
                }

                case InListExpression i:
                {
                    if (Ev(i.Operand).IsNull)
                    {
                        return Value.Null;
                    }

                    var rewritten = i.Items.Select(item => (Expression)new BinaryExpression(BinaryOperator.Equal, i.Operand, item))
                        .Aggregate((x, y) => new BinaryExpression(BinaryOperator.Or, x, y));
                    return Ev(i.Negated ? new UnaryExpression(UnaryOperator.Not, rewritten) : rewritten);
                }

                case LikeExpression l:
                {
                    var text = Ev(l.Operand);
                    var pattern = Ev(l.Pattern);
                    var escape = l.Escape is null ? '\\' : Ev(l.Escape).AsString()[0];
                    var result = SqlSemantics.Like(text, pattern, escape);
                    return l.Negated && !result.IsNull ? Value.From(!result.AsBool()) : result;
                }

                case CaseExpression { Operand: { } operand } c:
                    return Ev(new CaseExpression(
                        null,
                        [.. c.Whens.Select(w => new WhenClause(new BinaryExpression(BinaryOperator.Equal, operand, w.Condition), w.Result))],
                        c.Else));
                case CaseExpression c:
                    foreach (var when in c.Whens)
                    {
                        if (Ev(when.Condition) is { Kind: ValueKind.Bool } condition && condition.AsBool())
                        {
                            return Ev(when.Result);
                        }
                    }

                    return c.Else is null ? Value.Null : Ev(c.Else);
                case CastExpression c:
                    return SqlSemantics.Cast(Ev(c.Operand), c.Type);
                case FunctionCall f:
                    return Function(f, Ev);
                default:
                    throw new NotSupportedException(e.ToSql());
            }
        }

        private static Value Function(FunctionCall f, Func<Expression, Value> ev)
        {
            var args = f.Arguments;
            switch (f.Name)
            {
                case "coalesce":
                    foreach (var arg in args)
                    {
                        if (ev(arg) is { IsNull: false } v)
                        {
                            return v;
                        }
                    }

                    return Value.Null;
                case "nullif":
                    // NULLIF(a, b) = CASE WHEN a = b THEN NULL ELSE a END, with each argument evaluated once.
                    var a = ev(args[0]);
                    var b = ev(args[1]);
                    return SqlSemantics.Comparison(BinaryOperator.Equal, a, b) is { Kind: ValueKind.Bool } eq && eq.AsBool() ? Value.Null : a;
                case "abs":
                    var x = ev(args[0]);
                    return SqlSemantics.Compare(x, 0) < 0 ? SqlSemantics.Negate(x) : x;
                case "length":
                    return ev(args[0]) is { IsNull: false } s ? new System.Globalization.StringInfo(s.AsString()).LengthInTextElements : Value.Null;
                case "lower":
                    return ev(args[0]) is { IsNull: false } lo ? lo.AsString().ToLowerInvariant() : Value.Null;
                case "upper":
                    return ev(args[0]) is { IsNull: false } up ? up.AsString().ToUpperInvariant() : Value.Null;
                case "round" when args.Length == 1:
                    return ev(args[0]);
                case "round":
                {
                    var value = ev(args[0]);
                    var places = (int)ev(args[1]).AsInt64();
                    if (value.IsNull)
                    {
                        return value;
                    }

                    var number = value.Kind == ValueKind.Int64 ? value.AsInt64() : value.AsDecimal();
                    var text = Math.Round(number, places, MidpointRounding.AwayFromZero).ToString("F" + places, CultureInfo.InvariantCulture);
                    return decimal.Parse(text, CultureInfo.InvariantCulture);
                }

                default:
                    throw new NotSupportedException(f.Name);
            }
        }
    }
}
