using Cohort.Core;
using Cohort.Sql.Ast;

namespace Cohort.Sql.Execution;

/// <content>
/// The scalar functions: lower, upper, length, abs, coalesce, nullif, round and now here, and the rest of PostgreSQL's
/// common ones through <see cref="ScalarFunctions"/>.
/// </content>
internal static partial class ExpressionCompiler
{
    private static CompiledExpression BindFunction(FunctionCall call, Scope scope)
    {
        if (AggregateNames.Contains(call.Name))
        {
            throw SqlError.AggregateNotAllowed();
        }

        if (!call.IsStar && !call.Distinct && BindTemporalFunction(call, scope) is { } temporal)
        {
            return temporal;
        }

        var arity = call.Arguments.Length;
        var known = call.Name switch
        {
            "lower" or "upper" or "length" or "abs" => arity == 1,
            "coalesce" => arity >= 1,
            "nullif" => arity == 2,
            "round" => arity is 1 or 2,
            "now" => arity == 0,
            _ => ScalarFunctions.TryGetSignature(call.Name, arity, out _),
        };
        if (!known || call.IsStar)
        {
            throw SqlError.UndefinedFunction(call.Name, call.IsStar ? ["*"] : call.Arguments.Select(a => StaticTypeName(a, scope)));
        }

        if (call.Distinct)
        {
            throw SqlError.Type($"DISTINCT specified, but {call.Name} is not an aggregate function");
        }

        if (ScalarFunctions.TryGetSignature(call.Name, arity, out var signature))
        {
            return BindScalarFunction(call, signature, scope);
        }

        if (call.Name is "lower" or "upper" or "length" && StaticTypeName(call.Arguments[0], scope) is var type
            && type is not ("unknown" or "text" or "character varying") && (type != "bytea" || call.Name != "length"))
        {
            // As in PostgreSQL, a known argument type that does not fit is refused before any row is read.
            throw SqlError.UndefinedFunction(call.Name, [type]);
        }

        if (call.Name == "round" && arity == 2 && StaticTypeName(call.Arguments[0], scope) is "double precision" or "real" or "text" or "boolean")
        {
            // There is no round(double precision, integer) in PostgreSQL.
            throw SqlError.UndefinedFunction(call.Name, call.Arguments.Select(a => StaticTypeName(a, scope)));
        }

        var args = BindAll(call.Arguments, scope);
        return call.Name switch
        {
            "lower" => new CaseFoldNode(args[0], upper: false),
            "upper" => new CaseFoldNode(args[0], upper: true),
            "length" => new LengthNode(args[0]),
            "abs" => new AbsNode(args[0]),
            "coalesce" => new CoalesceNode(args),
            "nullif" => new NullIfNode(args[0], args[1]),
            "round" => new RoundNode(args[0], arity == 2 ? args[1] : null),
            _ => new NowNode(),
        };
    }

    /// <summary>
    /// Binds a call of one of <see cref="ScalarFunctions"/>, refusing (before any row is read, as PostgreSQL does) an
    /// argument whose type is known and does not fit its parameter, and giving a string literal facing a numeric
    /// parameter that parameter's type, as PostgreSQL types an unknown literal.
    /// </summary>
    private static CompiledExpression BindScalarFunction(FunctionCall call, ScalarFunctions.Signature signature, Scope scope)
    {
        var args = BindAll(call.Arguments, scope);
        var types = call.Arguments.Select(a => StaticTypeName(a, scope)).ToArray();
        if (call.Name is "gcd" or "lcm" or "mod" && call.Arguments.All(a => a is LiteralExpression { Value.Kind: ValueKind.String or ValueKind.Null }))
        {
            // Only untyped literals: PostgreSQL cannot choose among the integer and numeric forms.
            throw SqlError.Type($"function {call.Name}({string.Join(", ", types)}) is not unique");
        }

        for (var i = 0; i < args.Length; i++)
        {
            var category = signature.Category(call.Name, args.Length, i);
            var fits = types[i] switch
            {
                "unknown" => true,
                "text" or "character varying" => category is 'T' or 'A',
                "smallint" or "integer" => category is not 'T',
                "bigint" or "numeric" => category is 'N' or 'E' or 'A',
                "double precision" or "real" => category is 'N' or 'A',
                _ => category == 'A',
            };
            if (!fits)
            {
                throw SqlError.UndefinedFunction(call.Name, types);
            }

            if (category is 'I' or 'N' or 'E' && call.Arguments[i] is LiteralExpression { Value.Kind: ValueKind.String } literal)
            {
                var type = category switch
                {
                    'I' => SqlTypeKind.Integer,
                    'E' => SqlTypeKind.Decimal,
                    _ => SqlTypeKind.Double,
                };
                args[i] = new ConstantNode(SqlSemantics.Cast(literal.Value, new SqlType(type)));
            }
        }

        return new ScalarFunctionNode(call.Name, args, signature.Strict);
    }

    /// <summary>The PostgreSQL type name of an expression over rows of <paramref name="schema"/> as far as it is known before evaluation ("unknown" when it is not).</summary>
    internal static string StaticTypeName(Expression expression, RowSchema schema) => StaticTypeName(expression, new Scope(schema, null, null));

    /// <summary>The PostgreSQL type name of an argument as far as it is known before evaluation, for messages.</summary>
    private static string StaticTypeName(Expression expression, Scope scope) => TemporalKind(expression, scope) is { } temporal
        ? TypeName(new SqlType(temporal))
        : expression switch
    {
        LiteralExpression { Value: var v } => v.Kind switch
        {
            ValueKind.Int64 => v.AsInt64() is >= int.MinValue and <= int.MaxValue ? "integer" : "bigint",
            ValueKind.String or ValueKind.Null => "unknown",
            _ => SqlSemantics.TypeName(v),
        },
        CastExpression cast => TypeName(cast.Type),
        ColumnReference column when scope.Schema.TryResolve(column.Table, column.Column, out var i) == ColumnLookup.Found
            && scope.Schema[i].Type is { } type => TypeName(type),
        BinaryExpression { Operator: >= BinaryOperator.Equal } or IsNullExpression or BetweenExpression or InListExpression
            or InSubqueryExpression or LikeExpression or ExistsExpression or UnaryExpression { Operator: UnaryOperator.Not } => "boolean",
        BinaryExpression { Operator: BinaryOperator.Concat } => "text",
        BinaryExpression { Operator: BinaryOperator.Subtract } date when TemporalKind(date.Left, scope) == SqlTypeKind.Date && TemporalKind(date.Right, scope) == SqlTypeKind.Date => "integer",
        BinaryExpression { Operator: BinaryOperator.ShiftLeft or BinaryOperator.ShiftRight } shift => StaticTypeName(shift.Left, scope),
        BinaryExpression { Operator: BinaryOperator.Add or BinaryOperator.Subtract or BinaryOperator.Multiply or BinaryOperator.Divide or BinaryOperator.Modulo
            or BinaryOperator.BitAnd or BinaryOperator.BitOr or BinaryOperator.BitXor } integers
            when (StaticTypeName(integers.Left, scope), StaticTypeName(integers.Right, scope)) is var (l, r)
            && l is "smallint" or "integer" or "bigint" && r is "smallint" or "integer" or "bigint" => l == "bigint" || r == "bigint" ? "bigint" : l == "smallint" && r == "smallint" ? "smallint" : "integer",
        UnaryExpression { Operator: UnaryOperator.BitNot } bitNot => StaticTypeName(bitNot.Operand, scope),
        FunctionCall call => FunctionTypeName(call, scope),
        UnaryExpression { Operator: UnaryOperator.Negate or UnaryOperator.Plus } unary => StaticTypeName(unary.Operand, scope),
        _ => "unknown",
    };

    /// <summary>The PostgreSQL result type of a function call, as far as it is known before evaluation.</summary>
    private static string FunctionTypeName(FunctionCall call, Scope scope)
    {
        var types = call.Arguments.Select(a => StaticTypeName(a, scope)).ToArray();

        // "unknown" is PostgreSQL's unknown type for a NULL or string literal, but only "not known here" for anything else.
        var opaque = call.Arguments.Where((a, i) => types[i] == "unknown" && a is not LiteralExpression { Value.Kind: ValueKind.String or ValueKind.Null }).Any();
        static bool IsInteger(string t) => t is "smallint" or "integer" or "bigint";
        static bool IsFloat(string t) => t is "double precision" or "real";
        switch (call.Name)
        {
            case "substr" or "substring" or "btrim" or "ltrim" or "rtrim" or "lpad" or "rpad" or "replace" or "repeat" or "reverse"
                or "left" or "right" or "concat" or "concat_ws" or "chr" or "initcap" or "lower" or "upper":
                return "text";
            case "length" or "strpos" or "ascii":
                return "integer";
            case "cbrt" or "sin" or "cos" or "tan" or "cot" or "asin" or "acos" or "atan" or "atan2" or "degrees" or "radians" or "pi":
                return "double precision";
            case "div" or "trunc" or "round" or "log" when types.Length == 2:
                return "numeric";
            case "extract":
                return "numeric";
            case "date_part":
                return "double precision";
            case "count" or "sum" or "avg" or "min" or "max":
                return call.Name == "count" ? "bigint" : "unknown";
            case { } when opaque:
                return "unknown";
            case "ceil" or "ceiling" or "floor" or "trunc" or "round" or "sign" or "sqrt" or "exp" or "ln" or "log" or "log10"
                or "power" or "pow" when types.Length > 0:
                return types.Any(t => t == "numeric") && !types.Any(IsFloat) ? "numeric" : "double precision";
            case "abs" when types.Length == 1:
                return types[0] == "unknown" ? "double precision" : types[0];
            case "gcd" or "lcm" or "mod" when types.Length == 2:
                return types.All(IsInteger) ? (types.Contains("bigint") ? "bigint" : "integer") : types.Contains("numeric") ? "numeric" : "unknown";
            case "greatest" or "least" or "coalesce" or "nullif":
                // The common type: double precision over numeric over the integers.
                return types.Any(IsFloat) ? "double precision"
                    : types.Contains("numeric") ? "numeric"
                    : types.FirstOrDefault(t => t != "unknown") ?? "unknown";
            default:
                return "unknown";
        }
    }

    /// <summary>PostgreSQL's name of a type, as in its messages (<c>integer</c>, <c>character varying</c>).</summary>
    internal static string TypeName(SqlType type) => type.Kind switch
    {
        SqlTypeKind.SmallInt => "smallint",
        SqlTypeKind.Integer => "integer",
        SqlTypeKind.BigInt => "bigint",
        SqlTypeKind.Real => "real",
        SqlTypeKind.Double => "double precision",
        SqlTypeKind.Decimal => "numeric",
        SqlTypeKind.Text => "text",
        SqlTypeKind.Varchar => "character varying",
        SqlTypeKind.Boolean => "boolean",
        SqlTypeKind.Timestamp => "timestamp without time zone",
        SqlTypeKind.Bytea => "bytea",
        SqlTypeKind.Date => "date",
        SqlTypeKind.Time => "time without time zone",
        SqlTypeKind.Interval => "interval",
        SqlTypeKind.Uuid => "uuid",
        _ => type.ToString().ToLowerInvariant(),
    };

    private static CohortException NoSuchFunction(string name, params ReadOnlySpan<Value> arguments)
    {
        var types = new string[arguments.Length];
        for (var i = 0; i < types.Length; i++)
        {
            types[i] = SqlSemantics.TypeName(arguments[i]);
        }

        return SqlError.UndefinedFunction(name, types);
    }

    private sealed class CaseFoldNode(CompiledExpression argument, bool upper) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            var value = argument.Evaluate(row, context);
            return value.Kind switch
            {
                ValueKind.Null => Value.Null,
                ValueKind.String => upper ? value.AsString().ToUpperInvariant() : value.AsString().ToLowerInvariant(),
                _ => throw NoSuchFunction(upper ? "upper" : "lower", value),
            };
        }
    }

    private sealed class LengthNode(CompiledExpression argument) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            var value = argument.Evaluate(row, context);
            return value.Kind switch
            {
                ValueKind.Null => Value.Null,
                ValueKind.String => CountCharacters(value.AsString()),
                ValueKind.Bytes => value.AsBytes().Length,
                _ => throw NoSuchFunction("length", value),
            };
        }

        private static long CountCharacters(string text)
        {
            // Characters are code points, as in PostgreSQL: a surrogate pair counts once.
            var count = 0L;
            foreach (var c in text)
            {
                if (!char.IsLowSurrogate(c))
                {
                    count++;
                }
            }

            return count;
        }
    }

    private sealed class AbsNode(CompiledExpression argument) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            var value = argument.Evaluate(row, context);
            return value.Kind switch
            {
                ValueKind.Null => Value.Null,
                ValueKind.Int64 when value.AsInt64() == long.MinValue => throw SqlError.OutOfRange("bigint"),
                ValueKind.Int64 => Math.Abs(value.AsInt64()),
                ValueKind.Double => Math.Abs(value.AsDouble()),
                ValueKind.Decimal => Math.Abs(value.AsDecimal()),
                _ => throw NoSuchFunction("abs", value),
            };
        }
    }

    private sealed class CoalesceNode(CompiledExpression[] arguments) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            foreach (var argument in arguments)
            {
                var value = argument.Evaluate(row, context);
                if (!value.IsNull)
                {
                    return value;
                }
            }

            return Value.Null;
        }
    }

    private sealed class NullIfNode(CompiledExpression left, CompiledExpression right) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            var l = left.Evaluate(row, context);
            var r = right.Evaluate(row, context);
            return SqlSemantics.IsTrue(SqlSemantics.Comparison(BinaryOperator.Equal, l, r)) ? Value.Null : l;
        }
    }

    private sealed class ScalarFunctionNode(string name, CompiledExpression[] arguments, bool strict) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            var values = new Value[arguments.Length];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = arguments[i].Evaluate(row, context);
                if (strict && values[i].IsNull)
                {
                    // Later arguments are still evaluated: PostgreSQL evaluates every argument before the call.
                    for (var j = i + 1; j < values.Length; j++)
                    {
                        arguments[j].Evaluate(row, context);
                    }

                    return Value.Null;
                }
            }

            return ScalarFunctions.Invoke(name, values);
        }
    }

    private sealed class NowNode : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context) => context.NowValue;
    }

    private sealed class RoundNode(CompiledExpression argument, CompiledExpression? places) : CompiledExpression
    {
        private const int MaxScale = 28;

        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context)
        {
            var value = argument.Evaluate(row, context);
            if (places is null)
            {
                return value.Kind switch
                {
                    ValueKind.Null => value,

                    // An integer takes round(double precision), PostgreSQL's preferred form for it.
                    ValueKind.Int64 => (double)value.AsInt64(),

                    // round(double precision) is rint(): halves go to the even neighbour, as in PostgreSQL.
                    ValueKind.Double => Math.Round(value.AsDouble(), MidpointRounding.ToEven),
                    ValueKind.Decimal => RoundDecimal(value.AsDecimal(), 0),
                    _ => throw NoSuchFunction("round", value),
                };
            }

            var n = places.Evaluate(row, context);
            if (value.Kind is not (ValueKind.Null or ValueKind.Int64 or ValueKind.Decimal) || n.Kind is not (ValueKind.Null or ValueKind.Int64))
            {
                // PostgreSQL has round(numeric, integer) only: there is no round(double precision, integer).
                throw NoSuchFunction("round", value, n);
            }

            if (value.IsNull || n.IsNull)
            {
                return Value.Null;
            }

            var x = value.Kind == ValueKind.Int64 ? value.AsInt64() : value.AsDecimal();
            return RoundDecimal(x, n.AsInt64());
        }

        /// <summary>Rounds half away from zero to <paramref name="places"/> decimal places (negative: to tens, hundreds…); the result has scale max(places, 0).</summary>
        private static decimal RoundDecimal(decimal x, long places)
        {
            try
            {
                if (places >= 0)
                {
                    var scale = (int)Math.Min(places, MaxScale);
                    var rounded = decimal.Round(x, scale, MidpointRounding.AwayFromZero);
                    return rounded.Scale < scale ? rounded + new decimal(0, 0, 0, false, (byte)scale) : rounded;
                }

                if (places < -MaxScale)
                {
                    return 0m;
                }

                var unit = 1m;
                for (var i = 0; i < -places; i++)
                {
                    unit *= 10m;
                }

                return decimal.Round(x / unit, 0, MidpointRounding.AwayFromZero) * unit;
            }
            catch (OverflowException)
            {
                throw SqlError.OutOfRange("numeric");
            }
        }
    }
}
