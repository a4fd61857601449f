using Cohort.Core;
using Cohort.Sql.Ast;

namespace Cohort.Sql.Execution;

/// <content>
/// DATE, TIME, TIMESTAMP, INTERVAL and UUID: their static types (which decide what <c>+</c> and <c>-</c> mean, since a
/// date is stored as text), their arithmetic, the date/time functions, and the bitwise integer operators.
/// </content>
internal static partial class ExpressionCompiler
{
    private enum TemporalOp
    {
        DatePlusDays,
        DaysPlusDate,
        DateMinusDays,
        DateMinusDate,
        TimestampPlusInterval,
        IntervalPlusTimestamp,
        TimestampMinusInterval,
        TimestampMinusTimestamp,
        DatePlusTime,
        TimePlusDate,
        TimePlusInterval,
        IntervalPlusTime,
        TimeMinusInterval,
        TimeMinusTime,
        IntervalPlusInterval,
        IntervalMinusInterval,
        IntervalTimesNumber,
        NumberTimesInterval,
        IntervalDividedByNumber,
    }

    /// <summary>The type of <paramref name="expression"/> over rows of <paramref name="schema"/> when it is a date/time or UUID type known before evaluation.</summary>
    public static SqlType? StaticTemporalType(Expression expression, RowSchema schema)
    {
        ArgumentNullException.ThrowIfNull(expression);
        ArgumentNullException.ThrowIfNull(schema);
        return TemporalKind(expression, new Scope(schema, null, null)) is { } kind ? new SqlType(kind) : null;
    }

    private static bool IsTemporal(SqlTypeKind kind) =>
        kind is SqlTypeKind.Date or SqlTypeKind.Time or SqlTypeKind.Timestamp or SqlTypeKind.Interval or SqlTypeKind.Uuid;

    private static SqlTypeKind? TemporalKind(Expression expression, Scope scope)
    {
        switch (expression)
        {
            case CastExpression cast:
                return IsTemporal(cast.Type.Kind) ? cast.Type.Kind : null;
            case ColumnReference column when scope.Schema.TryResolve(column.Table, column.Column, out var i) == ColumnLookup.Found:
                return scope.Schema[i].Type is { } type && IsTemporal(type.Kind) ? type.Kind : null;
            case ColumnReference column when scope.Outer is { } outer && outer.TryResolveNearest(column.Table, column.Column, out var o) == ColumnLookup.Found:
                return outer[o].Type is { } outerType && IsTemporal(outerType.Kind) ? outerType.Kind : null;
            case UnaryExpression { Operator: UnaryOperator.Negate } unary:
                return TemporalKind(unary.Operand, scope) == SqlTypeKind.Interval ? SqlTypeKind.Interval : null;
            case BinaryExpression { Operator: BinaryOperator.Add or BinaryOperator.Subtract or BinaryOperator.Multiply or BinaryOperator.Divide } binary:
            {
                var left = TemporalKind(binary.Left, scope);
                var right = TemporalKind(binary.Right, scope);
                return left is null && right is null ? null : TemporalOperation(binary, left, right, scope, out _) switch
                {
                    TemporalOp.DatePlusDays or TemporalOp.DaysPlusDate or TemporalOp.DateMinusDays => SqlTypeKind.Date,
                    TemporalOp.TimestampPlusInterval or TemporalOp.IntervalPlusTimestamp or TemporalOp.TimestampMinusInterval
                        or TemporalOp.DatePlusTime or TemporalOp.TimePlusDate => SqlTypeKind.Timestamp,
                    TemporalOp.TimePlusInterval or TemporalOp.IntervalPlusTime or TemporalOp.TimeMinusInterval => SqlTypeKind.Time,
                    TemporalOp.DateMinusDate => null,
                    _ => SqlTypeKind.Interval,
                };
            }

            case CaseExpression @case:
                return @case.Whens.Select(w => TemporalKind(w.Result, scope)).Append(@case.Else is { } e ? TemporalKind(e, scope) : null).FirstOrDefault(k => k is not null);
            case FunctionCall call:
                return call.Name switch
                {
                    "now" or "current_timestamp" or "localtimestamp" or "statement_timestamp" or "transaction_timestamp" => SqlTypeKind.Timestamp,
                    "current_date" or "make_date" => SqlTypeKind.Date,
                    "current_time" or "localtime" => SqlTypeKind.Time,
                    "age" or "justify_hours" or "justify_days" => SqlTypeKind.Interval,
                    "gen_random_uuid" => SqlTypeKind.Uuid,
                    "date_trunc" when call.Arguments.Length == 2 => TemporalKind(call.Arguments[1], scope) == SqlTypeKind.Interval ? SqlTypeKind.Interval : SqlTypeKind.Timestamp,
                    "coalesce" or "nullif" or "greatest" or "least" or "min" or "max" => call.Arguments.Select(a => TemporalKind(a, scope)).FirstOrDefault(k => k is not null),
                    _ => null,
                };
            default:
                return null;
        }
    }

    private static bool IsStringLiteral(Expression expression) => expression is LiteralExpression { Value.Kind: ValueKind.String };

    private static bool IsIntegerType(string type) => type is "smallint" or "integer" or "unknown";

    private static bool IsNumberType(string type) => type is "smallint" or "integer" or "bigint" or "numeric" or "double precision" or "real" or "unknown";

    // Chooses the operator PostgreSQL would for a +, -, * or / with a date/time operand, or refuses it. An untyped string
    // literal operand takes the type the operator needs (interval beside a timestamp or time, the other operand's type for a
    // difference), as PostgreSQL resolves an unknown literal.
    private static TemporalOp TemporalOperation(BinaryExpression binary, SqlTypeKind? left, SqlTypeKind? right, Scope scope, out (SqlTypeKind? Left, SqlTypeKind? Right) literalTypes)
    {
        literalTypes = (null, null);
        var op = binary.Operator;
        if (left is null && IsStringLiteral(binary.Left) && right is { } r)
        {
            left = op switch
            {
                BinaryOperator.Subtract => r is SqlTypeKind.Interval ? null : r,
                BinaryOperator.Add => r is SqlTypeKind.Timestamp or SqlTypeKind.Time ? SqlTypeKind.Interval : r is SqlTypeKind.Interval ? SqlTypeKind.Interval : null,
                _ => null,
            };
            literalTypes.Left = left;
        }
        else if (right is null && IsStringLiteral(binary.Right) && left is { } l)
        {
            right = op switch
            {
                BinaryOperator.Subtract when l is SqlTypeKind.Date or SqlTypeKind.Time or SqlTypeKind.Timestamp => l,
                BinaryOperator.Subtract or BinaryOperator.Add when l is SqlTypeKind.Interval or SqlTypeKind.Timestamp or SqlTypeKind.Time => SqlTypeKind.Interval,
                _ => null,
            };
            literalTypes.Right = right;
        }

        var leftName = left is { } lk ? TypeName(new SqlType(lk)) : StaticTypeName(binary.Left, scope);
        var rightName = right is { } rk ? TypeName(new SqlType(rk)) : StaticTypeName(binary.Right, scope);
        TemporalOp? chosen = (op, left, right) switch
        {
            (BinaryOperator.Add, SqlTypeKind.Date, null) when IsIntegerType(rightName) && !IsStringLiteral(binary.Right) => TemporalOp.DatePlusDays,
            (BinaryOperator.Add, null, SqlTypeKind.Date) when IsIntegerType(leftName) && !IsStringLiteral(binary.Left) => TemporalOp.DaysPlusDate,
            (BinaryOperator.Subtract, SqlTypeKind.Date, null) when IsIntegerType(rightName) && !IsStringLiteral(binary.Right) => TemporalOp.DateMinusDays,
            (BinaryOperator.Subtract, SqlTypeKind.Date, SqlTypeKind.Date) => TemporalOp.DateMinusDate,
            (BinaryOperator.Add, SqlTypeKind.Date or SqlTypeKind.Timestamp, SqlTypeKind.Interval) => TemporalOp.TimestampPlusInterval,
            (BinaryOperator.Add, SqlTypeKind.Interval, SqlTypeKind.Date or SqlTypeKind.Timestamp) => TemporalOp.IntervalPlusTimestamp,
            (BinaryOperator.Subtract, SqlTypeKind.Date or SqlTypeKind.Timestamp, SqlTypeKind.Interval) => TemporalOp.TimestampMinusInterval,
            (BinaryOperator.Subtract, SqlTypeKind.Date or SqlTypeKind.Timestamp, SqlTypeKind.Date or SqlTypeKind.Timestamp) => TemporalOp.TimestampMinusTimestamp,
            (BinaryOperator.Add, SqlTypeKind.Date, SqlTypeKind.Time) => TemporalOp.DatePlusTime,
            (BinaryOperator.Add, SqlTypeKind.Time, SqlTypeKind.Date) => TemporalOp.TimePlusDate,
            (BinaryOperator.Add, SqlTypeKind.Time, SqlTypeKind.Interval) => TemporalOp.TimePlusInterval,
            (BinaryOperator.Add, SqlTypeKind.Interval, SqlTypeKind.Time) => TemporalOp.IntervalPlusTime,
            (BinaryOperator.Subtract, SqlTypeKind.Time, SqlTypeKind.Interval) => TemporalOp.TimeMinusInterval,
            (BinaryOperator.Subtract, SqlTypeKind.Time, SqlTypeKind.Time) => TemporalOp.TimeMinusTime,
            (BinaryOperator.Add, SqlTypeKind.Interval, SqlTypeKind.Interval) => TemporalOp.IntervalPlusInterval,
            (BinaryOperator.Subtract, SqlTypeKind.Interval, SqlTypeKind.Interval) => TemporalOp.IntervalMinusInterval,
            (BinaryOperator.Multiply, SqlTypeKind.Interval, null) when IsNumberType(rightName) => TemporalOp.IntervalTimesNumber,
            (BinaryOperator.Multiply, null, SqlTypeKind.Interval) when IsNumberType(leftName) => TemporalOp.NumberTimesInterval,
            (BinaryOperator.Divide, SqlTypeKind.Interval, null) when IsNumberType(rightName) => TemporalOp.IntervalDividedByNumber,
            _ => null,
        };
        return chosen ?? throw SqlError.Type($"operator does not exist: {leftName} {SqlPrinter.Operator(op)} {rightName}");
    }

    private static CompiledExpression BindTemporalArithmetic(BinaryExpression binary, SqlTypeKind? left, SqlTypeKind? right, Scope scope)
    {
        var op = TemporalOperation(binary, left, right, scope, out var literalTypes);
        var l = Bind(binary.Left, scope);
        var r = Bind(binary.Right, scope);
        if (literalTypes.Left is { } lt)
        {
            l = new ConstantNode(SqlSemantics.Cast(((LiteralExpression)binary.Left).Value, new SqlType(lt)));
        }

        if (literalTypes.Right is { } rt)
        {
            r = new ConstantNode(SqlSemantics.Cast(((LiteralExpression)binary.Right).Value, new SqlType(rt)));
        }

        if (op is TemporalOp.IntervalTimesNumber or TemporalOp.IntervalDividedByNumber && IsStringLiteral(binary.Right))
        {
            r = new ConstantNode(SqlSemantics.Cast(((LiteralExpression)binary.Right).Value, new SqlType(SqlTypeKind.Double)));
        }

        return new TemporalArithmeticNode(op, l, r);
    }

    // A string literal compared with a date/time expression takes its type, as PostgreSQL types an unknown literal; a DATE
    // compared with a TIMESTAMP is widened to one (its midnight).
    private static CompiledExpression CoerceTemporal(Expression expression, CompiledExpression compiled, SqlTypeKind? own, SqlTypeKind? other)
    {
        if (other is not { } target)
        {
            return compiled;
        }

        if (own is null && IsStringLiteral(expression))
        {
            return new ConstantNode(SqlSemantics.Cast(((LiteralExpression)expression).Value, new SqlType(target)));
        }

        return (own, target) switch
        {
            (SqlTypeKind.Date, SqlTypeKind.Timestamp) => new CastNode(compiled, new SqlType(SqlTypeKind.Timestamp)),
            (SqlTypeKind.Time, SqlTypeKind.Interval) => new CastNode(compiled, new SqlType(SqlTypeKind.Interval)),
            _ => compiled,
        };
    }

    // A comparison of two date/time types needs an implicit cast from one to the other (date to timestamp, time to
    // interval); a date/time type against another known type (a number, text) has no operator, as in PostgreSQL.
    private static void CheckComparable(BinaryExpression binary, SqlTypeKind? left, SqlTypeKind? right, Scope scope)
    {
        if (left is null && right is null)
        {
            return;
        }

        static bool Castable(SqlTypeKind a, SqlTypeKind b) =>
            a == b || (a, b) is (SqlTypeKind.Date, SqlTypeKind.Timestamp) or (SqlTypeKind.Timestamp, SqlTypeKind.Date)
                or (SqlTypeKind.Time, SqlTypeKind.Interval) or (SqlTypeKind.Interval, SqlTypeKind.Time);
        var leftName = StaticTypeName(binary.Left, scope);
        var rightName = StaticTypeName(binary.Right, scope);
        var fits = (left, right) switch
        {
            ({ } l, { } r) => Castable(l, r),
            (null, _) => leftName == "unknown",
            _ => rightName == "unknown",
        };
        if (!fits)
        {
            throw SqlError.Type($"operator does not exist: {leftName} {SqlPrinter.Operator(binary.Operator)} {rightName}");
        }
    }

    private static CompiledExpression BindBitwise(BinaryExpression binary, CompiledExpression left, CompiledExpression right, Scope scope)
    {
        var leftType = StaticTypeName(binary.Left, scope);
        var rightType = StaticTypeName(binary.Right, scope);
        static bool IsInteger(string t) => t is "smallint" or "integer" or "bigint" or "unknown";
        var shift = binary.Operator is BinaryOperator.ShiftLeft or BinaryOperator.ShiftRight;
        if (!IsInteger(leftType) || !IsInteger(rightType) || (shift && rightType == "bigint"))
        {
            throw SqlError.Type($"operator does not exist: {leftType} {SqlPrinter.Operator(binary.Operator)} {rightType}");
        }

        // PostgreSQL computes in the operands' width: int2 and int4 shifts wrap at 16 and 32 bits.
        var width = shift
            ? leftType switch { "smallint" => 16, "integer" => 32, _ => 64 }
            : leftType == "bigint" || rightType == "bigint" ? 64 : leftType == "smallint" && rightType == "smallint" ? 16 : leftType == "unknown" || rightType == "unknown" ? 64 : 32;
        return new BitwiseNode(binary.Operator, left, right, width);
    }

    private static CompiledExpression? BindTemporalFunction(FunctionCall call, Scope scope)
    {
        var arity = call.Arguments.Length;
        switch (call.Name)
        {
            case "current_timestamp" or "localtimestamp" or "statement_timestamp" or "transaction_timestamp" when arity == 0:
                return new NowNode();
            case "current_date" when arity == 0:
                return new NowPartNode(SqlTypeKind.Date);
            case "current_time" or "localtime" when arity == 0:
                return new NowPartNode(SqlTypeKind.Time);
            case "gen_random_uuid" when arity == 0:
                return new RandomUuidNode();
            case "make_date" when arity == 3:
                return new TemporalFunctionNode(call.Name, BindAll(call.Arguments, scope), null);
            case "age" when arity is 1 or 2:
            case "justify_hours" or "justify_days" when arity == 1:
                return new TemporalFunctionNode(call.Name, BindAll(call.Arguments, scope), TemporalKind(call.Arguments[0], scope));
            case "extract" or "date_part" or "date_trunc" when arity == 2:
            {
                var kind = TemporalKind(call.Arguments[1], scope);
                if (kind is null && IsStringLiteral(call.Arguments[1]))
                {
                    throw SqlError.Type($"function {call.Name}(unknown, unknown) is not unique");
                }

                if (kind is SqlTypeKind.Uuid || (kind is null && StaticTypeName(call.Arguments[1], scope) is not "unknown"))
                {
                    throw SqlError.UndefinedFunction(call.Name, call.Arguments.Select(a => StaticTypeName(a, scope)));
                }

                if (call.Name == "date_trunc" && kind is SqlTypeKind.Time)
                {
                    throw SqlError.UndefinedFunction(call.Name, ["unknown", "time without time zone"]);
                }

                return new TemporalFunctionNode(call.Name, BindAll(call.Arguments, scope), kind);
            }

            default:
                return null;
        }
    }

    private sealed class NowPartNode(SqlTypeKind kind) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context) => SqlSemantics.Cast(context.NowValue, new SqlType(kind));
    }

    private sealed class RandomUuidNode : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context) => SqlTemporal.RandomUuid();
    }

    private sealed class TemporalFunctionNode(string name, CompiledExpression[] arguments, SqlTypeKind? kind) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            var values = new Value[arguments.Length];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = arguments[i].Evaluate(row, context);
            }

            if (values.Any(v => v.IsNull))
            {
                return Value.Null;
            }

            switch (name)
            {
                case "make_date":
                    return values.All(v => v.Kind == ValueKind.Int64)
                        ? SqlTemporal.MakeDate(values[0].AsInt64(), values[1].AsInt64(), values[2].AsInt64())
                        : throw NoSuchFunction(name, values);
                case "age":
                {
                    var a = values.Length == 2 ? SqlTemporal.ToTimestamp(values[0]) : SqlTemporal.ToTimestamp(context.NowValue).Date;
                    var b = SqlTemporal.ToTimestamp(values[^1]);
                    return SqlTemporal.Age(a, b).ToValue();
                }

                case "justify_hours":
                    return SqlInterval.FromValue(values[0]).JustifyHours().ToValue();
                case "justify_days":
                {
                    var interval = SqlInterval.FromValue(values[0]);
                    var months = checked(interval.Months + (interval.Days / 30));
                    var days = interval.Days % 30;
                    if (months > 0 && days < 0)
                    {
                        days += 30;
                        months--;
                    }
                    else if (months < 0 && days > 0)
                    {
                        days -= 30;
                        months++;
                    }

                    return new SqlInterval(months, days, interval.Micros).ToValue();
                }
            }

            if (values[0].Kind != ValueKind.String)
            {
                throw NoSuchFunction(name, values);
            }

            var field = values[0].AsString();
            var source = values[1];
            var sourceKind = kind ?? InferKind(source);
            if (name == "date_trunc")
            {
                return sourceKind == SqlTypeKind.Interval
                    ? SqlTemporal.Truncate(field, SqlInterval.FromValue(source)).ToValue()
                    : SqlTemporal.Truncate(field, SqlTemporal.ToTimestamp(source));
            }

            var result = sourceKind switch
            {
                SqlTypeKind.Interval => SqlTemporal.ExtractInterval(field, SqlInterval.FromValue(source)),
                SqlTypeKind.Time => SqlTemporal.ExtractTime(field, SqlTemporal.ToTime(source)),
                SqlTypeKind.Date => SqlTemporal.Extract(field, SqlTemporal.ToTimestamp(source), "date", dateOnly: name == "extract"),
                _ => SqlTemporal.Extract(field, SqlTemporal.ToTimestamp(source), "timestamp without time zone", dateOnly: false),
            };

            // extract gives numeric, date_part double precision (PostgreSQL 14+).
            return name == "extract" ? Value.From(result) : Value.From(SqlSemantics.DecimalToDouble(result));
        }

        private static SqlTypeKind InferKind(Value value)
        {
            if (SqlInterval.IsInterval(value))
            {
                return SqlTypeKind.Interval;
            }

            if (value.Kind != ValueKind.String)
            {
                throw SqlError.Type($"cannot extract a date/time field from type {SqlSemantics.TypeName(value)}");
            }

            var text = value.AsString();
            var hasDate = text.Contains('-', StringComparison.Ordinal);
            var hasTime = text.Contains(':', StringComparison.Ordinal);
            return hasDate && hasTime ? SqlTypeKind.Timestamp : hasTime ? SqlTypeKind.Time : SqlTypeKind.Date;
        }
    }

    private sealed class TemporalArithmeticNode(TemporalOp op, CompiledExpression left, CompiledExpression right) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            var l = left.Evaluate(row, context);
            var r = right.Evaluate(row, context);
            if (l.IsNull || r.IsNull)
            {
                return Value.Null;
            }

            return op switch
            {
                TemporalOp.DatePlusDays => SqlTemporal.AddDays(SqlTemporal.ToDate(l), Days(r)),
                TemporalOp.DaysPlusDate => SqlTemporal.AddDays(SqlTemporal.ToDate(r), Days(l)),
                TemporalOp.DateMinusDays => SqlTemporal.AddDays(SqlTemporal.ToDate(l), -Days(r)),
                TemporalOp.DateMinusDate => (long)(SqlTemporal.ToDate(l).DayNumber - SqlTemporal.ToDate(r).DayNumber),
                TemporalOp.TimestampPlusInterval => SqlTemporal.AddInterval(SqlTemporal.ToTimestamp(l), SqlInterval.FromValue(r)),
                TemporalOp.IntervalPlusTimestamp => SqlTemporal.AddInterval(SqlTemporal.ToTimestamp(r), SqlInterval.FromValue(l)),
                TemporalOp.TimestampMinusInterval => SqlTemporal.AddInterval(SqlTemporal.ToTimestamp(l), SqlInterval.FromValue(r).Negate()),
                TemporalOp.TimestampMinusTimestamp => SqlTemporal.Difference(SqlTemporal.ToTimestamp(l), SqlTemporal.ToTimestamp(r)).ToValue(),
                TemporalOp.DatePlusTime => SqlTemporal.FromTimestamp(SqlTemporal.ToTimestamp(l).AddTicks(SqlTemporal.ToTime(r) * 10)),
                TemporalOp.TimePlusDate => SqlTemporal.FromTimestamp(SqlTemporal.ToTimestamp(r).AddTicks(SqlTemporal.ToTime(l) * 10)),
                TemporalOp.TimePlusInterval => SqlTemporal.AddToTime(SqlTemporal.ToTime(l), SqlInterval.FromValue(r)),
                TemporalOp.IntervalPlusTime => SqlTemporal.AddToTime(SqlTemporal.ToTime(r), SqlInterval.FromValue(l)),
                TemporalOp.TimeMinusInterval => SqlTemporal.AddToTime(SqlTemporal.ToTime(l), SqlInterval.FromValue(r).Negate()),
                TemporalOp.TimeMinusTime => new SqlInterval(0, 0, SqlTemporal.ToTime(l) - SqlTemporal.ToTime(r)).ToValue(),
                TemporalOp.IntervalPlusInterval => SqlInterval.Add(SqlInterval.FromValue(l), SqlInterval.FromValue(r)).ToValue(),
                TemporalOp.IntervalMinusInterval => SqlInterval.Add(SqlInterval.FromValue(l), SqlInterval.FromValue(r).Negate()).ToValue(),
                TemporalOp.IntervalTimesNumber => SqlInterval.FromValue(l).Multiply(Factor(r)).ToValue(),
                TemporalOp.NumberTimesInterval => SqlInterval.FromValue(r).Multiply(Factor(l)).ToValue(),
                _ => SqlInterval.FromValue(l).Divide(Factor(r)).ToValue(),
            };
        }

        private static long Days(Value value) => value.Kind == ValueKind.Int64
            ? value.AsInt64()
            : throw SqlError.Type($"operator does not exist: date + {SqlSemantics.TypeName(value)}");

        private static double Factor(Value value) => SqlSemantics.IsNumeric(value)
            ? SqlSemantics.Cast(value, new SqlType(SqlTypeKind.Double)).AsDouble()
            : throw SqlError.Type($"operator does not exist: interval * {SqlSemantics.TypeName(value)}");
    }

    private sealed class BitwiseNode(BinaryOperator op, CompiledExpression left, CompiledExpression right, int width) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            var l = left.Evaluate(row, context);
            var r = right.Evaluate(row, context);
            if (l.IsNull || r.IsNull)
            {
                return Value.Null;
            }

            if (l.Kind != ValueKind.Int64 || r.Kind != ValueKind.Int64)
            {
                throw SqlError.Type($"operator does not exist: {SqlSemantics.TypeName(l)} {SqlPrinter.Operator(op)} {SqlSemantics.TypeName(r)}");
            }

            var a = l.AsInt64();
            var b = r.AsInt64();
            return op switch
            {
                BinaryOperator.BitAnd => a & b,
                BinaryOperator.BitOr => a | b,
                BinaryOperator.BitXor => a ^ b,

                // As C on PostgreSQL's platforms: the count is taken modulo the (promoted) width, the result truncated to the type.
                BinaryOperator.ShiftLeft => width switch
                {
                    16 => (short)((int)a << (int)b),
                    32 => (int)a << (int)b,
                    _ => a << (int)b,
                },
                _ => width switch
                {
                    16 => (short)((int)a >> (int)b),
                    32 => (int)a >> (int)b,
                    _ => a >> (int)b,
                },
            };
        }
    }

    private sealed class BitNotNode(CompiledExpression operand) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            var value = operand.Evaluate(row, context);
            return value.Kind switch
            {
                ValueKind.Null => Value.Null,
                ValueKind.Int64 => ~value.AsInt64(),
                _ => throw SqlError.Type($"operator does not exist: ~ {SqlSemantics.TypeName(value)}"),
            };
        }
    }
}
