using Cohort.Core;
using Cohort.Sql.Ast;

namespace Cohort.Sql.Execution;

/// <content>The evaluator nodes for constants, references and operators.</content>
internal static partial class ExpressionCompiler
{
    private sealed class ConstantNode(Value value) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context) => value;
    }

    private sealed class ColumnNode(int index) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context) => row[index];
    }

    private sealed class OuterColumnNode(int index) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            var outer = context.OuterRow.Span;
            return (uint)index < (uint)outer.Length
                ? outer[index]
                : throw new InvalidOperationException("a correlated reference was evaluated without the enclosing row (EvaluationContext.ForSubquery)");
        }
    }

    private sealed class ParameterNode(int index) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context) => context.Parameter(index);
    }

    private sealed class NegateNode(CompiledExpression operand) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context) => SqlSemantics.Negate(operand.Evaluate(row, context));
    }

    private sealed class PlusNode(CompiledExpression operand) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            var value = operand.Evaluate(row, context);
            return value.IsNull || SqlSemantics.IsNumeric(value)
                ? value
                : throw SqlError.Type($"operator + does not exist for {SqlSemantics.TypeName(value)}");
        }
    }

    private sealed class DistinctNode(CompiledExpression left, CompiledExpression right, bool distinct) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            var l = left.Evaluate(row, context);
            var r = right.Evaluate(row, context);
            var same = l.IsNull || r.IsNull ? l.IsNull && r.IsNull : SqlSemantics.Compare(l, r) == 0;
            return same != distinct;
        }
    }

    private sealed class NotNode(CompiledExpression operand) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context) => SqlSemantics.Not(operand.Evaluate(row, context));
    }

    private sealed class ArithmeticNode(BinaryOperator op, CompiledExpression left, CompiledExpression right) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            var l = left.Evaluate(row, context);
            var r = right.Evaluate(row, context);
            return SqlSemantics.Arithmetic(op, l, r);
        }
    }

    private sealed class ComparisonNode(BinaryOperator op, CompiledExpression left, CompiledExpression right) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            var l = left.Evaluate(row, context);
            var r = right.Evaluate(row, context);
            return SqlSemantics.Comparison(op, l, r);
        }
    }

    private sealed class AndNode(CompiledExpression left, CompiledExpression right) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            var l = left.Evaluate(row, context);
            if (l.Kind == ValueKind.Bool && !l.AsBool())
            {
                return Value.False;
            }

            return SqlSemantics.And(l, right.Evaluate(row, context));
        }
    }

    private sealed class OrNode(CompiledExpression left, CompiledExpression right) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            var l = left.Evaluate(row, context);
            if (l.Kind == ValueKind.Bool && l.AsBool())
            {
                return Value.True;
            }

            return SqlSemantics.Or(l, right.Evaluate(row, context));
        }
    }

    private sealed class IsNullNode(CompiledExpression operand, bool negated) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context) =>
            Value.From(operand.Evaluate(row, context).IsNull != negated);
    }

    private sealed class BetweenNode(CompiledExpression operand, CompiledExpression low, CompiledExpression high, bool negated) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            // x BETWEEN a AND b is x >= a AND x <= b, with x evaluated once.
            var x = operand.Evaluate(row, context);
            var atLeast = SqlSemantics.Comparison(BinaryOperator.GreaterOrEqual, x, low.Evaluate(row, context));
            var result = atLeast.Kind == ValueKind.Bool && !atLeast.AsBool()
                ? Value.False
                : SqlSemantics.And(atLeast, SqlSemantics.Comparison(BinaryOperator.LessOrEqual, x, high.Evaluate(row, context)));
            return negated ? SqlSemantics.Not(result) : result;
        }
    }

    private sealed class InListNode(CompiledExpression operand, CompiledExpression[] items, bool negated) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            // x IN (a, b) is x = a OR x = b: TRUE on a match, else NULL if any comparison was unknown, else FALSE.
            var x = operand.Evaluate(row, context);
            var unknown = x.IsNull;
            if (!unknown)
            {
                foreach (var item in items)
                {
                    var equal = SqlSemantics.Comparison(BinaryOperator.Equal, x, item.Evaluate(row, context));
                    if (equal.IsNull)
                    {
                        unknown = true;
                    }
                    else if (equal.AsBool())
                    {
                        return Value.From(!negated);
                    }
                }
            }

            return unknown ? Value.Null : Value.From(negated);
        }
    }

    private sealed class LikeNode(CompiledExpression operand, CompiledExpression pattern, CompiledExpression? escapeExpression, char? escape, bool negated)
        : CompiledExpression
    {
        private const char NoEscape = '\0';

        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            var text = operand.Evaluate(row, context);
            var like = pattern.Evaluate(row, context);
            var escapeChar = escape;
            if (escapeExpression is not null)
            {
                var value = escapeExpression.Evaluate(row, context);
                if (value.IsNull)
                {
                    return Value.Null;
                }

                escapeChar = EscapeChar(value);
            }

            if (text.Kind is not (ValueKind.Null or ValueKind.String) || like.Kind is not (ValueKind.Null or ValueKind.String))
            {
                throw SqlError.Type($"operator does not exist: {SqlSemantics.TypeName(text)} {(negated ? "!~~" : "~~")} {SqlSemantics.TypeName(like)}");
            }

            var result = SqlSemantics.Like(text, like, escapeChar == NoEscape ? null : escapeChar);
            return negated ? SqlSemantics.Not(result) : result;
        }

        /// <summary>The escape character of an ESCAPE value: empty text disables escaping (returned as NUL).</summary>
        public static char EscapeChar(Value value)
        {
            var text = SqlSemantics.ToText(value);
            return text.Length switch
            {
                0 => NoEscape,
                1 => text[0],
                _ => throw SqlError.Type("invalid escape string: an escape string must be empty or one character"),
            };
        }
    }

    private sealed class CaseNode(CompiledExpression? operand, CompiledExpression[] conditions, CompiledExpression[] results, CompiledExpression? otherwise)
        : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            if (operand is null)
            {
                for (var i = 0; i < conditions.Length; i++)
                {
                    if (SqlSemantics.IsTrue(conditions[i].Evaluate(row, context)))
                    {
                        return results[i].Evaluate(row, context);
                    }
                }
            }
            else
            {
                var x = operand.Evaluate(row, context);
                for (var i = 0; i < conditions.Length; i++)
                {
                    if (SqlSemantics.IsTrue(SqlSemantics.Comparison(BinaryOperator.Equal, x, conditions[i].Evaluate(row, context))))
                    {
                        return results[i].Evaluate(row, context);
                    }
                }
            }

            return otherwise?.Evaluate(row, context) ?? Value.Null;
        }
    }

    private sealed class CastNode(CompiledExpression operand, SqlType type) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context) => SqlSemantics.Cast(operand.Evaluate(row, context), type);
    }

    private sealed class ScalarSubqueryNode(QueryExpression query) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context) => Runner(context).Scalar(query, row, context);
    }

    private sealed class ExistsNode(QueryExpression query, bool negated) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context) => Value.From(Runner(context).Exists(query, row, context) != negated);
    }

    private sealed class InSubqueryNode(CompiledExpression operand, QueryExpression query, bool negated) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            var x = operand.Evaluate(row, context);
            var values = Runner(context).Column(query, row, context);

            // Unlike a list, a subquery may be empty: x IN (empty) is FALSE even when x is NULL.
            if (values.Count == 0)
            {
                return Value.From(negated);
            }

            var unknown = x.IsNull;
            if (!unknown && values is SubqueryColumn column && column.TryFind(x, out var found, out var hasNull))
            {
                return found ? Value.From(!negated) : hasNull ? Value.Null : Value.From(negated);
            }

            if (!unknown)
            {
                for (var i = 0; i < values.Count; i++)
                {
                    var equal = SqlSemantics.Comparison(BinaryOperator.Equal, x, values[i]);
                    if (equal.IsNull)
                    {
                        unknown = true;
                    }
                    else if (equal.AsBool())
                    {
                        return Value.From(!negated);
                    }
                }
            }

            return unknown ? Value.Null : Value.From(negated);
        }
    }

    private static ISubqueryRunner Runner(EvaluationContext context) =>
        context.Subqueries ?? throw new InvalidOperationException("the expression has a subquery but the context has no subquery runner");
}
