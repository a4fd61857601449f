using System.Collections.Immutable;
using Cohort.Core;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <content>
/// Queries other than a single SELECT: set operations (UNION, INTERSECT, EXCEPT [ALL]), VALUES, and WITH with its common
/// table expressions, recursive ones included.
/// </content>
internal sealed partial class Planner
{
    // The common table expressions in scope where planning is, innermost first; and the recursive ones whose recursive
    // term is being planned, with the working table a reference to them reads.
    private CteBinding? _ctes;
    private readonly Dictionary<CteBinding, (WorkTable Table, RowSchema Schema)> _recursing = new(ReferenceEqualityComparer.Instance);

    /// <summary>Plans a query at the level <paramref name="frame"/>.</summary>
    public QueryPlan PlanQuery(QueryExpression query, Frame frame)
    {
        ArgumentNullException.ThrowIfNull(query);
        return query switch
        {
            SelectStatement select => PlanSelect(select, frame),
            SetOperationQuery setOperation => PlanSetOperation(setOperation, frame),
            ValuesQuery values => PlanValues(values, frame),
            WithQuery with => PlanWith(with, frame),
            _ => throw new ArgumentException($"unknown query {query.GetType().Name}", nameof(query)),
        };
    }

    private static string OperatorName(SetOperator op) => op switch
    {
        SetOperator.Union => "UNION",
        SetOperator.Intersect => "INTERSECT",
        _ => "EXCEPT",
    };

    private QueryPlan PlanSetOperation(SetOperationQuery query, Frame frame)
    {
        var name = OperatorName(query.Operator);
        var left = PlanOperand(query.Left, frame);
        var right = PlanOperand(query.Right, frame);
        if (left.ColumnNames.Count != right.ColumnNames.Count)
        {
            throw SqlError.Type($"each {name} query must have the same number of columns");
        }

        var types = new ResultType[left.ColumnNames.Count];
        for (var i = 0; i < types.Length; i++)
        {
            types[i] = ResultType.Common([left.Types[i], right.Types[i]], name);
        }

        var names = left.ColumnNames;
        var schema = new RowSchema(names.Select((n, i) => new SchemaColumn(null, n, types[i].Type)));
        PlanNode node = new SetOperationNode(query.Operator, query.All, Converted(left, types), Converted(right, types), schema);
        node = PlanQueryTail(node, query.OrderBy, query.Limit, query.Offset, frame, expressions: false);
        return new QueryPlan(node, names) { Types = types };
    }

    // An operand of a set operation is a query level of its own, enclosed by what encloses the operation.
    private QueryPlan PlanOperand(QueryExpression operand, Frame frame)
    {
        var inner = new Frame(frame.Outer);
        var plan = PlanQuery(operand, inner);
        if (inner.Usage.IsUsed)
        {
            frame.Usage.Mark(inner.Usage.MaxIndex);
        }

        return plan;
    }

    // The operand's rows converted to the common types, where they differ.
    private static PlanNode Converted(QueryPlan plan, IReadOnlyList<ResultType> types)
    {
        var targets = types.Select((t, i) => plan.Types[i].NeedsConversionTo(t) ? t.Type : null).ToList();
        return targets.All(t => t is null) ? plan.Root : new ConvertNode(plan.Root, targets, plan.Root.Schema);
    }

    private QueryPlan PlanValues(ValuesQuery query, Frame frame)
    {
        var width = query.Rows[0].Length;
        var rows = new List<IReadOnlyList<CompiledExpression>>(query.Rows.Length);
        foreach (var row in query.Rows)
        {
            var compiled = new List<CompiledExpression>(width);
            foreach (var expression in row)
            {
                if (ExpressionCompiler.ContainsAggregate(expression))
                {
                    throw SqlError.Type("aggregate functions are not allowed in VALUES");
                }

                compiled.Add(Compile(expression, RowSchema.Empty, frame));
            }

            rows.Add(compiled);
        }

        var types = new ResultType[width];
        for (var i = 0; i < width; i++)
        {
            types[i] = ResultType.Common([.. query.Rows.Select(r => ResultTypeOf(r[i], RowSchema.Empty))], "VALUES");
        }

        var names = Enumerable.Range(1, width).Select(i => "column" + i).ToList();
        var schema = new RowSchema(names.Select((n, i) => new SchemaColumn(null, n, types[i].Type)));
        PlanNode node = new ValuesNode(rows, [.. types.Select(t => t.Type)], schema);
        node = PlanQueryTail(node, query.OrderBy, query.Limit, query.Offset, frame, expressions: true);
        return new QueryPlan(node, names) { Types = types };
    }

    // ORDER BY, LIMIT and OFFSET over a query's output columns: by position or name (for VALUES, any expression over them).
    private PlanNode PlanQueryTail(PlanNode node, ImmutableArray<OrderByItem> orderBy, Expression? limit, Expression? offset, Frame frame, bool expressions)
    {
        var schema = node.Schema;
        var keys = new List<SortKey>();
        foreach (var order in orderBy)
        {
            CompiledExpression key;
            switch (order.Expression)
            {
                case LiteralExpression { Value.Kind: ValueKind.Int64 } literal:
                    var position = literal.Value.AsInt64();
                    key = position >= 1 && position <= schema.Count
                        ? ColumnAt((int)position - 1, schema)
                        : throw SqlError.Type($"ORDER BY position {position} is not in select list");
                    break;
                case ColumnReference { Table: null } column when !expressions:
                    var matches = schema.Columns.Count(c => c.Name == column.Column);
                    key = matches switch
                    {
                        0 => throw SqlError.UndefinedColumn(null, column.Column),
                        1 => ColumnAt(schema.Columns.IndexOf(schema.Columns.First(c => c.Name == column.Column)), schema),
                        _ => throw SqlError.Type($"ORDER BY \"{column.Column}\" is ambiguous"),
                    };
                    break;
                case ColumnReference { Table: { } table } when !expressions:
                    throw SqlError.MissingFromEntry(table);
                case var other when !expressions:
                    throw SqlError.Type($"invalid UNION/INTERSECT/EXCEPT ORDER BY clause: only result column names can be used, not {SqlPrinter.Print(other)}");
                default:
                    if (ExpressionCompiler.ContainsAggregate(order.Expression))
                    {
                        throw SqlError.AggregateNotAllowed();
                    }

                    key = Compile(order.Expression, schema, frame);
                    break;
            }

            var nullsFirst = order.Nulls switch
            {
                NullsOrder.First => true,
                NullsOrder.Last => false,
                _ => order.Descending,
            };
            keys.Add(new SortKey(key, order.Descending, nullsFirst, SqlPrinter.Print(order.Expression) + (order.Descending ? " DESC" : string.Empty)));
        }

        if (keys.Count > 0)
        {
            node = new SortNode(node, keys);
        }

        if (limit is not null || offset is not null)
        {
            node = new LimitNode(node, Constant(limit, "LIMIT", frame), Constant(offset, "OFFSET", frame));
        }

        return node;
    }

    private QueryPlan PlanWith(WithQuery query, Frame frame)
    {
        var saved = _ctes;
        var bindings = new List<CteBinding>();
        try
        {
            foreach (var cte in query.Ctes)
            {
                if (cte.Columns.GroupBy(c => c).FirstOrDefault(g => g.Count() > 1) is { } repeated)
                {
                    throw SqlError.Type($"WITH query column name \"{repeated.Key}\" specified more than once");
                }

                _ctes = new CteBinding(cte, query.Recursive, _ctes, frame.Outer is null);
                bindings.Add(_ctes);
            }

            var plan = PlanQuery(query.Body, frame);

            // A WITH query nothing uses is never run, but its mistakes are reported, as PostgreSQL analyzes every one;
            // what it would read is not locked.
            foreach (var binding in bindings.Where(b => !b.Referenced))
            {
                var before = _scans.Count;
                _ = PlanCteReference(binding, binding.Cte.Name, frame);
                _scans.RemoveRange(before, _scans.Count - before);
            }

            return plan;
        }
        finally
        {
            _ctes = saved;
        }
    }

    /// <summary>The common table expression <paramref name="name"/> refers to where planning is, or null.</summary>
    private CteBinding? FindCte(string name)
    {
        for (var binding = _ctes; binding is not null; binding = binding.Parent)
        {
            if (binding.Cte.Name == name)
            {
                return binding;
            }
        }

        return null;
    }

    // A FROM item naming a common table expression: its query, planned where it was defined, under the item's alias.
    private PlanNode PlanCteReference(CteBinding binding, string alias, Frame frame)
    {
        binding.Referenced = true;
        if (_recursing.TryGetValue(binding, out var work))
        {
            return new AliasNode(new WorkTableScanNode(work.Table, work.Schema), alias);
        }

        var saved = _ctes;
        var (savedDerived, savedItems) = (_derived, _cteItems);
        _ctes = binding.Recursive ? binding : binding.Parent;
        (_derived, _cteItems) = (new(ReferenceEqualityComparer.Instance), new(ReferenceEqualityComparer.Instance));
        try
        {
            // A WITH at the top of the statement sees no enclosing rows wherever it is used.
            var inner = new Frame(binding.TopLevel ? null : frame.Outer);
            var plan = binding.Recursive && References(binding.Cte.Query, binding.Cte.Name)
                ? PlanRecursive(binding, inner)
                : PlanQuery(binding.Cte.Query, inner);
            if (inner.Usage.IsUsed)
            {
                frame.Usage.Mark(inner.Usage.MaxIndex);
            }

            return new AliasNode(plan.Root, alias, ColumnAliases(plan.ColumnNames, binding.Cte.Columns, $"WITH query \"{binding.Cte.Name}\""));
        }
        finally
        {
            _ctes = saved;
            (_derived, _cteItems) = (savedDerived, savedItems);
        }
    }

    /// <summary>The column names after an alias list: the aliases rename the first columns.</summary>
    private static List<string> ColumnAliases(IReadOnlyList<string> names, ImmutableArray<string> aliases, string what)
    {
        if (aliases.Length > names.Count)
        {
            throw SqlError.Type($"{what} has {names.Count} columns available but {aliases.Length} columns specified");
        }

        return [.. aliases, .. names.Skip(aliases.Length)];
    }

    // Whether a FROM item somewhere in the query names the table (or common table expression).
    private static bool References(SqlNode query, string name) =>
        SyntaxTree.DescendantsAndSelf(query).Any(n => n is TableReference t && t.Name == name);

    private QueryPlan PlanRecursive(CteBinding binding, Frame frame)
    {
        var name = binding.Cte.Name;
        if (binding.Cte.Query is not SetOperationQuery { Operator: SetOperator.Union } union)
        {
            throw SqlError.Type($"recursive query \"{name}\" does not have the form non-recursive-term UNION [ALL] recursive-term");
        }

        if (!union.OrderBy.IsEmpty || union.Limit is not null || union.Offset is not null)
        {
            throw SqlError.Type($"ORDER BY, LIMIT and OFFSET in a recursive query are not implemented (recursive query \"{name}\")");
        }

        if (References(union.Left, name))
        {
            throw SqlError.Type($"recursive reference to query \"{name}\" must not appear within its non-recursive term");
        }

        CheckRecursiveTerm(union.Right, name);
        var anchor = PlanOperand(union.Left, frame);
        var names = ColumnAliases(anchor.ColumnNames, binding.Cte.Columns, $"WITH query \"{name}\"");

        // The columns' types are the non-recursive term's (an unknown literal there is text).
        var types = anchor.Types.Select(t => t.Untyped ? ResultType.Of(TextType) : t).ToArray();
        var schema = new RowSchema(names.Select((n, i) => new SchemaColumn(null, n, types[i].Type)));
        var table = new WorkTable(name);
        _recursing[binding] = (table, schema);
        QueryPlan recursive;
        try
        {
            recursive = PlanOperand(union.Right, frame);
        }
        finally
        {
            _recursing.Remove(binding);
        }

        if (recursive.ColumnNames.Count != names.Count)
        {
            throw SqlError.Type("each UNION query must have the same number of columns");
        }

        var targets = new SqlType?[names.Count];
        for (var i = 0; i < targets.Length; i++)
        {
            var common = ResultType.Common([types[i], recursive.Types[i]], "UNION");
            if (types[i].Type is { } declared && common.Type is { } overall && declared.Kind != overall.Kind)
            {
                throw SqlError.Type(
                    $"recursive query \"{name}\" column {i + 1} has type {types[i].Name} in non-recursive term but type {common.Name} overall");
            }

            targets[i] = anchor.Types[i].NeedsConversionTo(types[i]) || recursive.Types[i].NeedsConversionTo(types[i]) ? types[i].Type : null;
        }

        var node = new RecursiveUnionNode(anchor.Root, recursive.Root, table, union.All, targets, schema);
        return new QueryPlan(node, names) { Types = types };
    }

    // PostgreSQL's rules for the recursive term: the recursive reference appears once, not inside a subquery, and the
    // term has no aggregates.
    private static void CheckRecursiveTerm(QueryExpression term, string name)
    {
        var references = 0;
        foreach (var node in SyntaxTree.DescendantsAndSelf(term))
        {
            switch (node)
            {
                case TableReference t when t.Name == name:
                    references++;
                    break;
                case SubqueryExpression or ExistsExpression or InSubqueryExpression when References(node, name):
                    throw SqlError.Type($"recursive reference to query \"{name}\" must not appear within a subquery");
                case SelectStatement select when select.From.Any(f => References(f, name))
                    && (!select.GroupBy.IsEmpty || select.Having is not null
                        || select.Items.Any(i => i is ExpressionSelectItem e && ExpressionCompiler.ContainsAggregate(e.Expression))):
                    throw SqlError.Type("aggregate functions are not allowed in a recursive query's recursive term");
            }
        }

        if (references > 1)
        {
            throw SqlError.Type($"recursive reference to query \"{name}\" must not appear more than once");
        }
    }

    /// <summary>A common table expression in scope: its definition, the ones defined before it, and whether something used it.</summary>
    private sealed class CteBinding(CommonTableExpression cte, bool recursive, CteBinding? parent, bool topLevel)
    {
        public CommonTableExpression Cte { get; } = cte;

        public bool Recursive { get; } = recursive;

        public CteBinding? Parent { get; } = parent;

        public bool TopLevel { get; } = topLevel;

        public bool Referenced { get; set; }
    }
}
