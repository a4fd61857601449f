using System.Collections.Frozen;
using System.Collections.Immutable;
using Cohort.Core;
using Cohort.Sql.Ast;

namespace Cohort.Sql.Execution;

/// <summary>
/// Binds a scalar expression to a <see cref="RowSchema"/> and compiles it into a tree of evaluator nodes
/// (<see cref="CompiledExpression"/>). Column references become row indexes once, at compile time, so
/// evaluation does no name lookups and no allocation beyond what the values themselves need.
/// </summary>
/// <remarks>
/// Evaluation order is left to right, and short-circuits only where the result cannot change: AND stops at a
/// FALSE left operand, OR at a TRUE one, IN at the first match, BETWEEN when the lower bound already fails,
/// CASE at the first matching arm and COALESCE at the first non-NULL argument. Aggregates are not compiled
/// here: the planner replaces them with references to its aggregation output first (see
/// <see cref="ContainsAggregate"/>).
/// </remarks>
internal static partial class ExpressionCompiler
{
    /// <summary>The aggregate function names, which this compiler rejects.</summary>
    public static FrozenSet<string> AggregateNames { get; } = FrozenSet.Create(StringComparer.Ordinal, "count", "sum", "avg", "min", "max");

    /// <summary>Compiles <paramref name="expression"/> for rows of <paramref name="schema"/>.</summary>
    /// <param name="expression">The expression.</param>
    /// <param name="schema">The columns of the rows the expression is evaluated over.</param>
    /// <param name="outer">
    /// For an expression inside a correlated subquery: the columns of the enclosing query's row, searched after
    /// <paramref name="schema"/> fails and read from <see cref="EvaluationContext.OuterRow"/>. For deeper nesting,
    /// pass the enclosing rows' schemas concatenated, innermost first, and supply the rows concatenated the same way.
    /// </param>
    /// <exception cref="CohortException">A column does not resolve, a function is unknown or misused, or an aggregate appears.</exception>
    public static CompiledExpression Compile(Expression expression, RowSchema schema, RowSchema? outer = null)
    {
        ArgumentNullException.ThrowIfNull(expression);
        ArgumentNullException.ThrowIfNull(schema);
        return Bind(expression, new Scope(schema, outer, null));
    }

    /// <summary>
    /// Compiles <paramref name="expression"/> like <see cref="Compile(Expression, RowSchema, RowSchema?)"/> and records in
    /// <paramref name="usage"/> whether it reads a column of the enclosing query (the planner's test for a correlated subquery).
    /// </summary>
    public static CompiledExpression Compile(Expression expression, RowSchema schema, RowSchema? outer, OuterUsage usage)
    {
        ArgumentNullException.ThrowIfNull(expression);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(usage);
        return Bind(expression, new Scope(schema, outer, usage));
    }

    /// <summary>
    /// Whether <paramref name="expression"/> calls an aggregate function, outside any subquery it contains
    /// (an aggregate inside a subquery belongs to the subquery).
    /// </summary>
    public static bool ContainsAggregate(Expression expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        return expression switch
        {
            FunctionCall call => AggregateNames.Contains(call.Name) || call.Arguments.Any(ContainsAggregate),
            UnaryExpression u => ContainsAggregate(u.Operand),
            BinaryExpression b => ContainsAggregate(b.Left) || ContainsAggregate(b.Right),
            IsNullExpression n => ContainsAggregate(n.Operand),
            BetweenExpression b => ContainsAggregate(b.Operand) || ContainsAggregate(b.Low) || ContainsAggregate(b.High),
            InListExpression i => ContainsAggregate(i.Operand) || i.Items.Any(ContainsAggregate),
            InSubqueryExpression i => ContainsAggregate(i.Operand),
            LikeExpression l => ContainsAggregate(l.Operand) || ContainsAggregate(l.Pattern) || (l.Escape is { } e && ContainsAggregate(e)),
            CaseExpression c => (c.Operand is { } o && ContainsAggregate(o))
                || c.Whens.Any(w => ContainsAggregate(w.Condition) || ContainsAggregate(w.Result))
                || (c.Else is { } e && ContainsAggregate(e)),
            CastExpression c => ContainsAggregate(c.Operand),
            _ => false,
        };
    }

    private static CompiledExpression Bind(Expression expression, Scope scope) => expression switch
    {
        LiteralExpression literal => new ConstantNode(literal.Value),
        ParameterExpression parameter => new ParameterNode(parameter.Index),
        ColumnReference column => BindColumn(column, scope),
        UnaryExpression unary => unary.Operator switch
        {
            UnaryOperator.Negate => new NegateNode(Bind(unary.Operand, scope)),
            UnaryOperator.Plus => new PlusNode(Bind(unary.Operand, scope)),
            UnaryOperator.Not => new NotNode(Bind(unary.Operand, scope)),
            UnaryOperator.BitNot => StaticTypeName(unary.Operand, scope) is "smallint" or "integer" or "bigint" or "unknown"
                ? new BitNotNode(Bind(unary.Operand, scope))
                : throw SqlError.Type($"operator does not exist: ~ {StaticTypeName(unary.Operand, scope)}"),
            _ => throw new ArgumentOutOfRangeException(nameof(expression), unary.Operator, "unknown unary operator"),
        },
        BinaryExpression binary => BindBinary(binary, scope),
        IsNullExpression isNull => new IsNullNode(Bind(isNull.Operand, scope), isNull.Negated),
        BetweenExpression between => BindBetween(between, scope),
        InListExpression inList => BindInList(inList, scope),
        LikeExpression like => BindLike(like, scope),
        CaseExpression @case => BindCase(@case, scope),
        CastExpression cast => new CastNode(Bind(cast.Operand, scope), cast.Type),
        FunctionCall call => BindFunction(call, scope),
        SubqueryExpression subquery => new ScalarSubqueryNode(subquery.Query),
        ExistsExpression exists => new ExistsNode(exists.Query, exists.Negated),
        InSubqueryExpression inSubquery => new InSubqueryNode(Bind(inSubquery.Operand, scope), inSubquery.Query, inSubquery.Negated),
        _ => throw SqlError.Type($"unsupported expression: {expression.ToSql()}"),
    };

    private static CompiledExpression[] BindAll(ImmutableArray<Expression> expressions, Scope scope)
    {
        var nodes = new CompiledExpression[expressions.Length];
        for (var i = 0; i < nodes.Length; i++)
        {
            nodes[i] = Bind(expressions[i], scope);
        }

        return nodes;
    }

    private static CompiledExpression BindColumn(ColumnReference reference, Scope scope)
    {
        var (table, column) = (reference.Table, reference.Column);
        var inner = scope.Schema.TryResolve(table, column, out var index);
        if (inner == ColumnLookup.Found)
        {
            return new ColumnNode(index);
        }

        // PostgreSQL looks in the enclosing query only when this level has no such table (qualified name) or
        // no such column (unqualified name); an ambiguity or a known table lacking the column is final.
        var searchOuter = inner == ColumnLookup.UnknownTable || (inner == ColumnLookup.NotFound && table is null);
        if (scope.Outer is { } outer && searchOuter)
        {
            var outcome = outer.TryResolveNearest(table, column, out index);
            if (outcome == ColumnLookup.Found)
            {
                scope.Usage?.Mark(index);
                return new OuterColumnNode(index);
            }

            if (outcome != ColumnLookup.UnknownTable)
            {
                throw RowSchema.LookupError(outcome, table, column);
            }
        }

        throw RowSchema.LookupError(inner, table, column);
    }

    private static CompiledExpression BindBinary(BinaryExpression binary, Scope scope)
    {
        if (binary.Operator is BinaryOperator.Add or BinaryOperator.Subtract or BinaryOperator.Multiply or BinaryOperator.Divide
            && (TemporalKind(binary.Left, scope), TemporalKind(binary.Right, scope)) is var (leftKind, rightKind)
            && (leftKind is not null || rightKind is not null))
        {
            return BindTemporalArithmetic(binary, leftKind, rightKind, scope);
        }

        var left = Bind(binary.Left, scope);
        var right = Bind(binary.Right, scope);
        if (binary.Operator is BinaryOperator.Equal or BinaryOperator.NotEqual or BinaryOperator.Less or BinaryOperator.LessOrEqual
            or BinaryOperator.Greater or BinaryOperator.GreaterOrEqual or BinaryOperator.IsDistinctFrom or BinaryOperator.IsNotDistinctFrom)
        {
            // As in PostgreSQL, a string literal facing a typed column takes the column's type: otherwise
            // TIMESTAMP '2024-01-01' against a stored timestamp would compare as text, and 1 = '1' would fail.
            left = CoerceStringLiteral(binary.Left, left, binary.Right, scope);
            right = CoerceStringLiteral(binary.Right, right, binary.Left, scope);
            var leftTemporal = TemporalKind(binary.Left, scope);
            var rightTemporal = TemporalKind(binary.Right, scope);
            CheckComparable(binary, leftTemporal, rightTemporal, scope);
            left = CoerceTemporal(binary.Left, left, leftTemporal, rightTemporal);
            right = CoerceTemporal(binary.Right, right, rightTemporal, leftTemporal);
        }

        if (binary.Operator is BinaryOperator.BitAnd or BinaryOperator.BitOr or BinaryOperator.BitXor or BinaryOperator.ShiftLeft or BinaryOperator.ShiftRight)
        {
            return BindBitwise(binary, left, right, scope);
        }

        return binary.Operator switch
        {
            BinaryOperator.And => new AndNode(left, right),
            BinaryOperator.Or => new OrNode(left, right),
            BinaryOperator.Equal or BinaryOperator.NotEqual or BinaryOperator.Less or BinaryOperator.LessOrEqual
                or BinaryOperator.Greater or BinaryOperator.GreaterOrEqual => new ComparisonNode(binary.Operator, left, right),
            BinaryOperator.IsDistinctFrom or BinaryOperator.IsNotDistinctFrom => new DistinctNode(left, right, binary.Operator == BinaryOperator.IsDistinctFrom),
            _ => new ArithmeticNode(binary.Operator, left, right),
        };
    }

    private static CompiledExpression CoerceStringLiteral(Expression literal, CompiledExpression compiled, Expression other, Scope scope)
    {
        if (literal is not LiteralExpression { Value.Kind: Cohort.Core.ValueKind.String } text
            || other is not ColumnReference column
            || scope.Schema.TryResolve(column.Table, column.Column, out var index) != ColumnLookup.Found
            || scope.Schema[index].Type is not { } type
            || type.Kind is SqlTypeKind.Text or SqlTypeKind.Varchar)
        {
            return compiled;
        }

        return new ConstantNode(SqlSemantics.Cast(text.Value, type));
    }

    private static CompiledExpression BindBetween(BetweenExpression between, Scope scope)
    {
        var kind = TemporalKind(between.Operand, scope);
        var low = CoerceTemporal(between.Low, Bind(between.Low, scope), TemporalKind(between.Low, scope), kind);
        var high = CoerceTemporal(between.High, Bind(between.High, scope), TemporalKind(between.High, scope), kind);
        return new BetweenNode(Bind(between.Operand, scope), low, high, between.Negated);
    }

    private static CompiledExpression BindInList(InListExpression inList, Scope scope)
    {
        var kind = TemporalKind(inList.Operand, scope);
        var items = BindAll(inList.Items, scope);
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = CoerceTemporal(inList.Items[i], items[i], TemporalKind(inList.Items[i], scope), kind);
        }

        return new InListNode(Bind(inList.Operand, scope), items, inList.Negated);
    }

    private static CompiledExpression BindLike(LikeExpression like, Scope scope)
    {
        // LIKE is text ~~ text: PostgreSQL has no LIKE for a number or a boolean (no implicit cast to text).
        var operandType = StaticTypeName(like.Operand, scope);
        var patternType = StaticTypeName(like.Pattern, scope);
        if (operandType is not ("unknown" or "text" or "character varying") || patternType is not ("unknown" or "text" or "character varying"))
        {
            throw SqlError.Type($"operator does not exist: {(operandType == "unknown" ? "text" : operandType)} {(like.Negated ? "!~~" : "~~")} {(patternType == "unknown" ? "text" : patternType)}");
        }

        var operand = Bind(like.Operand, scope);
        var pattern = Bind(like.Pattern, scope);
        if (like.Escape is null)
        {
            return new LikeNode(operand, pattern, null, '\\', like.Negated);
        }

        if (like.Escape is LiteralExpression { Value: var escape } && !escape.IsNull)
        {
            // A constant escape (the usual case) is checked once, here.
            return new LikeNode(operand, pattern, null, LikeNode.EscapeChar(escape), like.Negated);
        }

        return new LikeNode(operand, pattern, Bind(like.Escape, scope), null, like.Negated);
    }

    private static CompiledExpression BindCase(CaseExpression @case, Scope scope)
    {
        var conditions = new CompiledExpression[@case.Whens.Length];
        var results = new CompiledExpression[@case.Whens.Length];
        for (var i = 0; i < conditions.Length; i++)
        {
            conditions[i] = Bind(@case.Whens[i].Condition, scope);
            results[i] = Bind(@case.Whens[i].Result, scope);
        }

        var otherwise = @case.Else is { } e ? Bind(e, scope) : null;
        return new CaseNode(@case.Operand is { } operand ? Bind(operand, scope) : null, conditions, results, otherwise);
    }

    private readonly record struct Scope(RowSchema Schema, RowSchema? Outer, OuterUsage? Usage);
}
