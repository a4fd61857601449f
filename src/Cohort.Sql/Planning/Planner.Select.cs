using Cohort.Core;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

internal sealed partial class Planner
{
    private const string OutputTable = "#output";

    /// <summary>Plans a SELECT at the level <paramref name="frame"/>.</summary>
    private QueryPlan PlanSelect(SelectStatement query, Frame frame)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.AsOf is not null && !ReferenceEquals(query, _root))
        {
            // Silently reading the present instead would be a wrong answer.
            throw SqlError.Type("AS OF is allowed only on the outermost SELECT of a statement");
        }

        if (query.Where is { } where && ExpressionCompiler.ContainsAggregate(where))
        {
            throw SqlError.Type("aggregate functions are not allowed in WHERE");
        }

        // The FROM clause applies the WHERE clause, each conjunct where it first can be.
        var conjuncts = ExpressionRewriter.Conjuncts(query.Where).ToList();
        var source = query.From.IsEmpty ? SingleRowNode.Instance : PlanFrom(query.From, conjuncts, frame);
        if (query.From.IsEmpty && query.Where is { } condition)
        {
            source = new FilterNode(source, condition, Compile(condition, source.Schema, frame));
        }

        var items = ExpandItems(query.Items, source.Schema);
        var input = source.Schema;
        var types = items.Select(i => i.Expression is { } e ? ResultTypeOf(e, input) : input[i.Index].Type is { } t ? ResultType.Of(t) : ResultType.Opaque).ToList();

        // As in PostgreSQL, a string literal or NULL that DISTINCT or ORDER BY sorts is resolved as text there.
        void ResolveUnknown(int index) => types[index] = types[index].Untyped ? ResultType.Of(TextType) : types[index];
        if (query.Distinct)
        {
            for (var i = 0; i < types.Count; i++)
            {
                ResolveUnknown(i);
            }
        }
        var grouped = !query.GroupBy.IsEmpty || query.Having is not null
            || items.Any(i => i.Expression is { } e && ExpressionCompiler.ContainsAggregate(e))
            || query.OrderBy.Any(o => ExpressionCompiler.ContainsAggregate(o.Expression));
        Func<Expression, Expression> prepare = e => e;
        var scope = source.Schema;
        if (grouped)
        {
            (source, prepare) = PlanAggregation(query, items, source, frame);
            scope = source.Schema;
            if (query.Having is { } having)
            {
                var rewritten = prepare(having);
                source = new FilterNode(source, having, CompileGrouped(rewritten, scope, frame), "Having");
            }
        }

        // Output columns.
        var outputs = new List<CompiledExpression>(items.Count);
        var names = new List<string>(items.Count);
        foreach (var item in items)
        {
            outputs.Add(item.Expression is { } e ? CompileGrouped(prepare(e), scope, frame) : ColumnAt(item.Index, scope));
            names.Add(item.Name);
        }

        // ORDER BY: an output column (by position, by name, or by the same expression), else an expression over the input.
        var combined = new RowSchema(names.Select((_, i) => new SchemaColumn(OutputTable, "#" + i))).Concat(scope);
        var keys = new List<SortKey>();
        var keepInput = false;
        foreach (var order in query.OrderBy)
        {
            var output = OutputIndex(order.Expression, items, names);
            CompiledExpression key;
            if (output is { } index)
            {
                ResolveUnknown(index);
                key = ExpressionCompiler.Compile(new ColumnReference(OutputTable, "#" + index), combined);
            }
            else
            {
                if (query.Distinct)
                {
                    throw SqlError.Type("for SELECT DISTINCT, ORDER BY expressions must appear in select list");
                }

                key = CompileGrouped(prepare(order.Expression), combined, frame);
                keepInput = true;
            }

            var nullsFirst = order.Nulls switch
            {
                NullsOrder.First => true,
                NullsOrder.Last => false,
                _ => order.Descending,
            };
            keys.Add(new SortKey(key, order.Descending, nullsFirst, SqlPrinter.Print(order.Expression) + (order.Descending ? " DESC" : string.Empty)));
        }

        var outputSchema = new RowSchema(items.Select(i => new SchemaColumn(null, i.Name, i.Type)));
        PlanNode node = new ProjectNode(source, outputs, outputSchema, keepInput);
        if (query.Distinct)
        {
            node = new DistinctNode(node, outputs.Count);
        }

        if (keys.Count > 0)
        {
            node = new SortNode(node, keys);
        }

        if (query.Limit is not null || query.Offset is not null)
        {
            node = new LimitNode(node, Constant(query.Limit, "LIMIT", frame), Constant(query.Offset, "OFFSET", frame));
        }

        if (keepInput)
        {
            node = new TrimNode(node, outputs.Count);
        }

        return new QueryPlan(node, names) { Types = types };
    }

    private CompiledExpression? Constant(Expression? expression, string clause, Frame frame)
    {
        if (expression is null)
        {
            return null;
        }

        if (ExpressionRewriter.Columns(expression).Any() || ExpressionCompiler.ContainsAggregate(expression))
        {
            throw SqlError.Type($"argument of {clause} must not contain variables");
        }

        return Compile(expression, RowSchema.Empty, frame);
    }

    private static CompiledExpression ColumnAt(int index, RowSchema scope) =>
        (uint)index < (uint)scope.Count ? new RowColumn(index) : throw new ArgumentOutOfRangeException(nameof(index));

    private static int? OutputIndex(Expression expression, List<OutputItem> items, List<string> names)
    {
        if (expression is LiteralExpression { Value.Kind: ValueKind.Int64 } literal)
        {
            var position = literal.Value.AsInt64();
            return position >= 1 && position <= items.Count
                ? (int)position - 1
                : throw SqlError.Type($"ORDER BY position {position} is not in select list");
        }

        if (expression is ColumnReference { Table: null } column)
        {
            var matches = names.Select((n, i) => (n, i)).Where(x => x.n == column.Column).ToList();
            if (matches.Count == 1)
            {
                return matches[0].i;
            }
        }

        for (var i = 0; i < items.Count; i++)
        {
            if (items[i].Expression is { } e && SyntaxComparer.Instance.Equals(e, expression))
            {
                return i;
            }
        }

        return null;
    }

    private List<OutputItem> ExpandItems(IEnumerable<SelectItem> items, RowSchema scope)
    {
        var result = new List<OutputItem>();
        foreach (var item in items)
        {
            switch (item)
            {
                case WildcardSelectItem wildcard:
                    var any = false;
                    for (var i = 0; i < scope.Count; i++)
                    {
                        if (wildcard.Table is null || scope[i].Table == wildcard.Table)
                        {
                            result.Add(new OutputItem(null, i, scope[i].Name, scope[i].Type));
                            any = true;
                        }
                    }

                    if (!any)
                    {
                        throw wildcard.Table is null ? SqlError.Type("SELECT * with no tables specified is not valid") : SqlError.MissingFromEntry(wildcard.Table);
                    }

                    break;
                case ExpressionSelectItem e:
                    result.Add(new OutputItem(e.Expression, -1, e.Alias ?? NameOf(e.Expression), TypeOf(e.Expression, scope)));
                    break;
            }
        }

        return result;
    }

    private static SqlType? TypeOf(Expression expression, RowSchema scope) => expression switch
    {
        ColumnReference c when scope.TryResolve(c.Table, c.Column, out var i) == ColumnLookup.Found => scope[i].Type,
        CastExpression c => c.Type,
        _ => ExpressionCompiler.StaticTemporalType(expression, scope),
    };

    private static string NameOf(Expression expression) => expression switch
    {
        ColumnReference c => c.Column,
        FunctionCall f => f.Name,
        CastExpression c => NameOf(c.Operand) is var n && n != "?column?" ? n : c.Type.Kind.ToString().ToLowerInvariant(),
        CaseExpression => "case",
        ExistsExpression => "exists",
        _ => "?column?",
    };

    // A column of the grouped rows that is neither grouped nor aggregated gets PostgreSQL's message.
    private CompiledExpression CompileGrouped(Expression expression, RowSchema scope, Frame frame)
    {
        try
        {
            return Compile(expression, scope, frame);
        }
        catch (CohortException) when (frame.Ungrouped is { } input && ExpressionRewriter.Columns(expression).FirstOrDefault(c =>
            scope.TryResolve(c.Table, c.Column, out _) != ColumnLookup.Found && input.TryResolve(c.Table, c.Column, out _) == ColumnLookup.Found) is { } column)
        {
            var name = column.Table is null ? column.Column : $"{column.Table}.{column.Column}";
            throw SqlError.Type($"column \"{name}\" must appear in the GROUP BY clause or be used in an aggregate function");
        }
    }

    private (PlanNode Node, Func<Expression, Expression> Prepare) PlanAggregation(SelectStatement query, List<OutputItem> items, PlanNode source, Frame frame)
    {
        var input = source.Schema;

        // SELECT * in a grouped query is its columns, each of which must then be grouped, as in PostgreSQL.
        for (var k = 0; k < items.Count; k++)
        {
            if (items[k].Expression is null)
            {
                var column = input[items[k].Index];
                items[k] = items[k] with { Expression = new ColumnReference(column.Table, column.Name) };
            }
        }

        frame.Ungrouped = input;
        var groupKeys = new List<CompiledExpression>();
        var groupColumns = new List<SchemaColumn>();
        var groupExpressions = new List<Expression>();
        foreach (var expression in query.GroupBy)
        {
            var e = expression;

            // GROUP BY 2 and GROUP BY alias refer to the select list, as in PostgreSQL.
            if (e is LiteralExpression { Value.Kind: ValueKind.Int64 } position)
            {
                var p = position.Value.AsInt64();
                e = p >= 1 && p <= items.Count ? items[(int)p - 1].Expression! : throw SqlError.Type($"GROUP BY position {p} is not in select list");
            }
            else if (e is ColumnReference { Table: null } alias && input.TryResolve(null, alias.Column, out _) == ColumnLookup.NotFound
                && items.FirstOrDefault(i => i.Name == alias.Column) is { Expression: { } aliased })
            {
                e = aliased;
            }

            if (ExpressionCompiler.ContainsAggregate(e))
            {
                throw SqlError.Type("aggregate functions are not allowed in GROUP BY");
            }

            var key = Compile(e, input, frame);
            var i = -1;
            var isColumn = e is ColumnReference c && input.TryResolve(c.Table, c.Column, out i) == ColumnLookup.Found;
            var groupColumn = isColumn ? input[i] : new SchemaColumn(OutputTable, "#g" + groupColumns.Count);

            // A repeated key (GROUP BY a, a or GROUP BY id, t.id) groups nothing further: keep the first.
            if (isColumn ? groupColumns.Contains(groupColumn) : groupExpressions.Any(g => SyntaxComparer.Instance.Equals(g, e)))
            {
                continue;
            }

            groupKeys.Add(key);
            groupExpressions.Add(e);
            groupColumns.Add(groupColumn);
        }

        var aggregates = new List<AggregateSpec>();
        var aggregateCalls = new List<FunctionCall>();
        var aggregateTypes = new List<SqlType?>();
        Expression Prepare(Expression expression) => ExpressionRewriter.Rewrite(expression, e =>
        {
            for (var g = 0; g < groupExpressions.Count; g++)
            {
                if (groupColumns[g].Table == OutputTable && SyntaxComparer.Instance.Equals(groupExpressions[g], e))
                {
                    return new ColumnReference(OutputTable, groupColumns[g].Name);
                }
            }

            if (e is FunctionCall call && ExpressionCompiler.AggregateNames.Contains(call.Name))
            {
                var existing = aggregateCalls.FindIndex(a => SyntaxComparer.Instance.Equals(a, call));
                if (existing < 0)
                {
                    aggregates.Add(Aggregate(call, input, frame));
                    aggregateCalls.Add(call);
                    aggregateTypes.Add(call.Name is "min" or "max" or "sum" or "avg" && call.Arguments.Length == 1
                        ? ExpressionCompiler.StaticTemporalType(call.Arguments[0], input)
                        : null);
                    existing = aggregates.Count - 1;
                }

                return new ColumnReference(OutputTable, "#a" + existing);
            }

            return null;
        });

        // Rewrite everything that is evaluated over the groups first, so the aggregate list is complete.
        foreach (var item in items)
        {
            Prepare(item.Expression!);
        }

        if (query.Having is { } having)
        {
            Prepare(having);
        }

        foreach (var order in query.OrderBy)
        {
            if (OutputIndex(order.Expression, items, [.. items.Select(i => i.Name)]) is null)
            {
                Prepare(order.Expression);
            }
        }

        var schema = new RowSchema(groupColumns.Concat(aggregates.Select((_, i) => new SchemaColumn(OutputTable, "#a" + i, aggregateTypes[i]))));
        var node = new AggregateNode(source, groupKeys, aggregates, schema, [.. groupExpressions.Select(SqlPrinter.Print)]);
        return (node, Prepare);
    }

    private AggregateSpec Aggregate(FunctionCall call, RowSchema input, Frame frame)
    {
        if (call.IsStar)
        {
            return call.Name == "count" ? new AggregateSpec("count", null, false, "count(*)") : throw SqlError.Type($"{call.Name}(*) is not valid");
        }

        if (call.Arguments.Length != 1)
        {
            throw SqlError.UndefinedFunction(call.Name, call.Arguments.Select(_ => "any"));
        }

        var argument = call.Arguments[0];
        if (ExpressionCompiler.ContainsAggregate(argument))
        {
            throw SqlError.Type("aggregate function calls cannot be nested");
        }

        if (ExpressionCompiler.StaticTemporalType(argument, input) is { } type
            && ((call.Name is "min" or "max" && type.Kind == SqlTypeKind.Uuid) || (call.Name is "sum" or "avg" && type.Kind != SqlTypeKind.Interval)))
        {
            // PostgreSQL 15 has no min/max over uuid, and sums and averages only intervals among these types.
            throw SqlError.UndefinedFunction(call.Name, [type.Kind == SqlTypeKind.Time ? "time without time zone" : type.Kind == SqlTypeKind.Timestamp ? "timestamp without time zone" : type.ToString().ToLowerInvariant()]);
        }

        return new AggregateSpec(call.Name, Compile(argument, input, frame), call.Distinct, SqlPrinter.Print(call));
    }

    private sealed record OutputItem(Expression? Expression, int Index, string Name, SqlType? Type);

    private sealed class RowColumn(int index) : CompiledExpression
    {
        public override Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context) => row[index];
    }
}
