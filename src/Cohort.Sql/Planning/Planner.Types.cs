using Cohort.Core;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <content>The plan-time types of output columns, for set operations, VALUES and CREATE TABLE AS.</content>
internal sealed partial class Planner
{
    private static readonly SqlType IntegerType = new(SqlTypeKind.Integer);
    private static readonly SqlType BigIntType = new(SqlTypeKind.BigInt);
    private static readonly SqlType NumericType = new(SqlTypeKind.Decimal);
    private static readonly SqlType DoubleType = new(SqlTypeKind.Double);
    private static readonly SqlType TextType = new(SqlTypeKind.Text);
    private static readonly SqlType BooleanType = new(SqlTypeKind.Boolean);

    /// <summary>The type of <paramref name="expression"/> over rows of <paramref name="scope"/>, as far as it is known before execution.</summary>
    internal static ResultType ResultTypeOf(Expression expression, RowSchema scope)
    {
        switch (expression)
        {
            case LiteralExpression { Value: var value }:
                return value.Kind switch
                {
                    ValueKind.Null or ValueKind.String => ResultType.Unknown,
                    ValueKind.Int64 => ResultType.Of(value.AsInt64() is >= int.MinValue and <= int.MaxValue ? IntegerType : BigIntType),
                    ValueKind.Decimal => ResultType.Of(NumericType),
                    ValueKind.Double => ResultType.Of(DoubleType),
                    ValueKind.Bool => ResultType.Of(BooleanType),
                    _ => ResultType.Opaque,
                };
            case ColumnReference column:
                return scope.TryResolve(column.Table, column.Column, out var index) == ColumnLookup.Found && scope[index].Type is { } type
                    ? ResultType.Of(type)
                    : ResultType.Opaque;
            case CastExpression cast:
                return ResultType.Of(cast.Type);
            case UnaryExpression { Operator: UnaryOperator.Not }:
                return ResultType.Of(BooleanType);
            case UnaryExpression unary:
                return ResultTypeOf(unary.Operand, scope) is { Type: { } operand } && IsNumber(operand) ? ResultType.Of(operand) : ResultType.Opaque;
            case BinaryExpression { Operator: BinaryOperator.Concat }:
                return ResultType.Of(TextType);
            case BinaryExpression { Operator: BinaryOperator.Add or BinaryOperator.Subtract or BinaryOperator.Multiply or BinaryOperator.Divide or BinaryOperator.Modulo } arithmetic:
                return ArithmeticType(ResultTypeOf(arithmetic.Left, scope), ResultTypeOf(arithmetic.Right, scope));
            case BinaryExpression { Operator: >= BinaryOperator.Equal and <= BinaryOperator.IsNotDistinctFrom }:
            case IsNullExpression or BetweenExpression or InListExpression or InSubqueryExpression or LikeExpression or ExistsExpression:
                return ResultType.Of(BooleanType);
            case CaseExpression @case:
                try
                {
                    var arms = @case.Whens.Select(w => ResultTypeOf(w.Result, scope)).ToList();
                    arms.Add(@case.Else is { } otherwise ? ResultTypeOf(otherwise, scope) : ResultType.Unknown);
                    return ResultType.Common(arms, "CASE");
                }
                catch (CohortException)
                {
                    return ResultType.Opaque;
                }

            case FunctionCall call when ExpressionCompiler.AggregateNames.Contains(call.Name):
                return AggregateType(call, scope);
            case FunctionCall call:
                return FromTypeName(ExpressionCompiler.StaticTypeName(call, scope));
            default:
                return ResultType.Opaque;
        }
    }

    private static ResultType AggregateType(FunctionCall call, RowSchema scope)
    {
        if (call.Name == "count")
        {
            return ResultType.Of(BigIntType);
        }

        if (call.Arguments.Length != 1)
        {
            return ResultType.Opaque;
        }

        var argument = ResultTypeOf(call.Arguments[0], scope);
        if (argument.Type is not { } type)
        {
            return ResultType.Opaque;
        }

        return call.Name switch
        {
            "min" or "max" => argument,
            "sum" => type.Kind switch
            {
                SqlTypeKind.SmallInt or SqlTypeKind.Integer => ResultType.Of(BigIntType),
                SqlTypeKind.BigInt or SqlTypeKind.Decimal => ResultType.Of(NumericType),
                SqlTypeKind.Real or SqlTypeKind.Double => ResultType.Of(type),
                _ => ResultType.Opaque,
            },
            "avg" => type.Kind switch
            {
                SqlTypeKind.SmallInt or SqlTypeKind.Integer or SqlTypeKind.BigInt or SqlTypeKind.Decimal => ResultType.Of(NumericType),
                SqlTypeKind.Real or SqlTypeKind.Double => ResultType.Of(DoubleType),
                _ => ResultType.Opaque,
            },
            _ => ResultType.Opaque,
        };
    }

    // Numbers: the wider operand's type (an unknown literal takes the other's); anything else is not known here.
    private static ResultType ArithmeticType(ResultType left, ResultType right)
    {
        if (left.Untyped && right.Type is { } r && IsNumber(r))
        {
            return ResultType.Of(r);
        }

        if (right.Untyped && left.Type is { } l && IsNumber(l))
        {
            return ResultType.Of(l);
        }

        if (left.Type is not { } a || right.Type is not { } b || !IsNumber(a) || !IsNumber(b))
        {
            return ResultType.Opaque;
        }

        return ResultType.Common([left, right], "arithmetic");
    }

    private static bool IsNumber(SqlType type) =>
        type.Kind is SqlTypeKind.SmallInt or SqlTypeKind.Integer or SqlTypeKind.BigInt or SqlTypeKind.Decimal or SqlTypeKind.Real or SqlTypeKind.Double;

    private static ResultType FromTypeName(string name) => name switch
    {
        "smallint" => ResultType.Of(new SqlType(SqlTypeKind.SmallInt)),
        "integer" => ResultType.Of(IntegerType),
        "bigint" => ResultType.Of(BigIntType),
        "numeric" => ResultType.Of(NumericType),
        "real" => ResultType.Of(new SqlType(SqlTypeKind.Real)),
        "double precision" => ResultType.Of(DoubleType),
        "text" => ResultType.Of(TextType),
        "character varying" => ResultType.Of(new SqlType(SqlTypeKind.Varchar)),
        "boolean" => ResultType.Of(BooleanType),
        "timestamp without time zone" => ResultType.Of(new SqlType(SqlTypeKind.Timestamp)),
        "bytea" => ResultType.Of(new SqlType(SqlTypeKind.Bytea)),
        _ => ResultType.Opaque,
    };
}
