using System.Collections.Immutable;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <summary>
/// The FROM clause. Comma-separated items and inner joins form one graph of items: the WHERE conjuncts and the ON
/// conditions of inner joins are split, a conjunct over one item filters that item (and may choose its access path),
/// a conjunct over several becomes the condition of the join where they meet, the rest filters the result. The items
/// are joined greedily: first the smallest (estimated), then each time the smallest item connected to the joined ones
/// by an equality, by another condition, or else the smallest of all. Outer joins are items of their own whose sides
/// are planned the same way; a WHERE conjunct reaches only their preserved side. The columns come out in the order of
/// the FROM clause whatever the join order.
/// </summary>
internal sealed partial class Planner
{
    // Without statistics, an unfiltered item is taken to have this many rows; conditions narrow it.
    private const double UnfilteredRows = 1000;

    // Plans of derived tables and WITH-query references, made once per FROM item (the schema is needed before the
    // item is placed). Scoped to one planning of a WITH query: a WITH query used twice is planned twice, each with
    // plans of its own (a recursive one reads its own work table).
    private Dictionary<DerivedTable, PlanNode> _derived = new(ReferenceEqualityComparer.Instance);
    private Dictionary<TableReference, PlanNode> _cteItems = new(ReferenceEqualityComparer.Instance);

    private PlanNode PlanFrom(ImmutableArray<TableSource> from, List<Expression> where, Frame frame)
    {
        // The FROM items of this level: a column one of them could supply is not a constant for an access path.
        frame.DeclareLocals(from, name => FindCte(name) is null ? FindTable(name) : null);
        return PlanGraph(from, where, frame);
    }

    // Plans FROM items joined by commas or inner joins with the conjuncts that apply to them, every conjunct applied.
    private PlanNode PlanGraph(IReadOnlyList<TableSource> items, IReadOnlyList<Expression> conjuncts, Frame frame)
    {
        var units = new List<JoinUnit>();
        var pool = new List<Expression>(conjuncts);
        var offset = 0;
        foreach (var item in items)
        {
            Flatten(item, units, pool, ref offset, frame);
        }

        var schema = new RowSchema(units.SelectMany(u => u.Schema.Columns));
        var owner = new int[schema.Count];
        for (var u = 0; u < units.Count; u++)
        {
            Array.Fill(owner, u, units[u].Offset, units[u].Schema.Count);
        }

        var residual = new List<Expression>();
        var predicates = new List<JoinPredicate>();
        foreach (var conjunct in pool)
        {
            var refs = UnitsOf(conjunct, schema, owner, frame);
            if (refs is null || refs.Length == 0)
            {
                residual.Add(conjunct);
            }
            else if (refs.Length == 1)
            {
                units[refs[0]].Filters.Add(conjunct);
            }
            else
            {
                predicates.Add(Predicate(conjunct, refs, schema, owner, frame));
            }
        }

        foreach (var unit in units)
        {
            PlanUnit(unit, frame);
        }

        var node = Join(units, predicates, frame, out var order);

        // The columns in FROM order.
        var positions = new int[schema.Count];
        var at = 0;
        var identity = true;
        var starts = new int[units.Count];
        foreach (var u in order)
        {
            starts[u] = at;
            at += units[u].Schema.Count;
        }

        for (var u = 0; u < units.Count; u++)
        {
            for (var c = 0; c < units[u].Schema.Count; c++)
            {
                positions[units[u].Offset + c] = starts[u] + c;
                identity &= starts[u] == units[u].Offset;
            }
        }

        if (!identity)
        {
            node = new ReorderNode(node, positions, schema);
        }

        return Filtered(node, residual, frame);
    }

    // Collects the items of a graph: inner and cross joins are opened (their ON conditions join the conjuncts),
    // tables, derived tables and outer joins are items.
    private void Flatten(TableSource source, List<JoinUnit> units, List<Expression> pool, ref int offset, Frame frame)
    {
        if (source is JoinedTable { Kind: JoinKind.Inner or JoinKind.Cross } join)
        {
            Flatten(join.Left, units, pool, ref offset, frame);
            Flatten(join.Right, units, pool, ref offset, frame);
            if (join.Condition is { } condition)
            {
                if (ExpressionCompiler.ContainsAggregate(condition))
                {
                    throw SqlError.Type("aggregate functions are not allowed in JOIN conditions");
                }

                var scope = SchemaOf(join, frame);
                pool.AddRange(ExpressionRewriter.Conjuncts(condition).Select(c => Qualify(c, scope, frame)));
            }

            return;
        }

        var schema = SchemaOf(source, frame);
        units.Add(new JoinUnit(source, schema, offset));
        offset += schema.Count;
    }

    // An ON condition sees only the two sides of its join: its unqualified columns are qualified with the item
    // they come from there (they stay the same once the condition joins the others), and a column of another item
    // of the FROM clause is refused as PostgreSQL does.
    private static Expression Qualify(Expression condition, RowSchema scope, Frame frame)
    {
        if (ExpressionRewriter.HasSubquery(condition))
        {
            return condition;
        }

        foreach (var column in ExpressionRewriter.Columns(condition))
        {
            if (scope.TryResolve(column.Table, column.Column, out _) is ColumnLookup.UnknownTable && column.Table is { } table && frame.IsLocal(column))
            {
                throw SqlError.Type($"invalid reference to FROM-clause entry for table \"{table}\"");
            }
        }

        return ExpressionRewriter.Rewrite(condition, e =>
            e is ColumnReference { Table: null } c && scope.TryResolve(null, c.Column, out var i) == ColumnLookup.Found && scope[i].Table is { } t
                ? new ColumnReference(t, c.Column) { Position = c.Position }
                : null);
    }

    private RowSchema SchemaOf(TableSource source, Frame frame) => source switch
    {
        TableReference t when FindCte(t.Name) is { } cte => CteItem(t, cte, frame).Schema,
        TableReference t => Table(t.Name).ToRowSchema(t.Alias ?? t.Name),
        DerivedTable d => Derived(d, frame).Schema,
        JoinedTable j => SchemaOf(j.Left, frame).Concat(SchemaOf(j.Right, frame)),
        _ => throw new NotSupportedException($"FROM item {source.GetType().Name}"),
    };

    private PlanNode Derived(DerivedTable derived, Frame frame)
    {
        if (!_derived.TryGetValue(derived, out var node))
        {
            // A derived table sees the rows enclosing this level (not its siblings); when it reads one, this level
            // reads it too, so a subquery around it is correlated and must not be run only once.
            var inner = new Frame(frame.Outer);
            var plan = PlanQuery(derived.Query, inner);
            if (inner.Usage.IsUsed)
            {
                frame.Usage.Mark(inner.Usage.MaxIndex);
            }

            var names = derived.ColumnAliases.IsEmpty ? null : ColumnAliases(plan.ColumnNames, derived.ColumnAliases, $"table \"{derived.Alias}\"");
            node = new AliasNode(plan.Root, derived.Alias, names);
            _derived[derived] = node;
        }

        return node;
    }

    private PlanNode CteItem(TableReference reference, CteBinding cte, Frame frame)
    {
        if (!_cteItems.TryGetValue(reference, out var node))
        {
            node = PlanCteReference(cte, reference.Alias ?? reference.Name, frame);
            _cteItems[reference] = node;
        }

        return node;
    }

    // The items a conjunct reads (sorted), none for a conjunct of constants and enclosing columns, or null when it
    // must stay on top of the graph: a subquery (planned once, over the graph's row), an aggregate, or a column
    // that does not resolve here (the filter on top reports it).
    private static int[]? UnitsOf(Expression expression, RowSchema schema, int[] owner, Frame frame)
    {
        if (ExpressionRewriter.HasSubquery(expression) || ExpressionCompiler.ContainsAggregate(expression))
        {
            return null;
        }

        var units = new SortedSet<int>();
        foreach (var column in ExpressionRewriter.Columns(expression))
        {
            switch (schema.TryResolve(column.Table, column.Column, out var index))
            {
                case ColumnLookup.Found:
                    units.Add(owner[index]);
                    break;
                case ColumnLookup.NotFound or ColumnLookup.UnknownTable when !frame.IsLocal(column)
                    && frame.Outer?.TryResolveNearest(column.Table, column.Column, out _) == ColumnLookup.Found:
                    break;
                default:
                    return null;
            }
        }

        return [.. units];
    }

    private static JoinPredicate Predicate(Expression conjunct, int[] units, RowSchema schema, int[] owner, Frame frame)
    {
        if (conjunct is BinaryExpression { Operator: BinaryOperator.Equal } eq
            && UnitsOf(eq.Left, schema, owner, frame) is { Length: > 0 } left
            && UnitsOf(eq.Right, schema, owner, frame) is { Length: > 0 } right
            && !left.Intersect(right).Any()
            && ExpressionRewriter.Columns(eq).All(c => schema.TryResolve(c.Table, c.Column, out _) == ColumnLookup.Found))
        {
            return new JoinPredicate(conjunct, units, left, right);
        }

        return new JoinPredicate(conjunct, units, null, null);
    }

    private void PlanUnit(JoinUnit unit, Frame frame)
    {
        switch (unit.Source)
        {
            case TableReference reference when FindCte(reference.Name) is { } cte:
                unit.Node = Filtered(CteItem(reference, cte, frame), unit.Filters, frame);
                unit.Estimate = Narrowed(unit.Filters);
                break;

            case TableReference reference:
            {
                var table = Table(reference.Name);
                var scan = new ScanNode(ChooseAccess(table, reference.Alias ?? reference.Name, unit.Filters, frame, out var score), reference.Alias ?? reference.Name);
                _scans.Add(scan);
                unit.Table = table;
                unit.Score = score;
                unit.Node = Filtered(scan, unit.Filters, frame);
                unit.Estimate = scan.Path.IsPoint ? 1 : Narrowed(unit.Filters);
                break;
            }

            case DerivedTable derived:
                unit.Node = Filtered(Derived(derived, frame), unit.Filters, frame);
                unit.Estimate = Narrowed(unit.Filters);
                break;
            case JoinedTable join:
                unit.Node = PlanOuterJoin(join, unit.Filters, frame);
                unit.Estimate = Narrowed(unit.Filters);
                break;
        }
    }

    // The guessed row count of an item under its own conditions.
    private static double Narrowed(List<Expression> filters)
    {
        var rows = UnfilteredRows;
        foreach (var filter in filters)
        {
            rows *= filter switch
            {
                BinaryExpression { Operator: BinaryOperator.Equal } => 0.1,
                IsNullExpression { Negated: false } => 0.1,
                BinaryExpression { Operator: BinaryOperator.Less or BinaryOperator.LessOrEqual or BinaryOperator.Greater or BinaryOperator.GreaterOrEqual } => 0.3,
                BetweenExpression or LikeExpression or InListExpression => 0.3,
                _ => 0.5,
            };
        }

        return Math.Max(rows, 1);
    }

    private PlanNode Filtered(PlanNode node, List<Expression> conjuncts, Frame frame)
    {
        if (conjuncts.Count == 0)
        {
            return node;
        }

        var condition = conjuncts.Aggregate((a, b) => new BinaryExpression(BinaryOperator.And, a, b));
        return new FilterNode(node, condition, Compile(condition, node.Schema, frame));
    }

    // Joins the planned items greedily; order is the items in the order of the result's columns.
    private PlanNode Join(List<JoinUnit> units, List<JoinPredicate> predicates, Frame frame, out List<int> order)
    {
        var placed = new bool[units.Count];
        var start = 0;
        for (var u = 1; u < units.Count; u++)
        {
            if (units[u].Estimate < units[start].Estimate)
            {
                start = u;
            }
        }

        order = [start];
        placed[start] = true;
        var node = units[start].Node;
        var rows = units[start].Estimate;
        var pending = new List<JoinPredicate>(predicates);
        while (order.Count < units.Count)
        {
            var next = -1;
            var nextRank = int.MaxValue;
            for (var u = 0; u < units.Count; u++)
            {
                if (placed[u])
                {
                    continue;
                }

                var rank = 2;
                foreach (var p in pending)
                {
                    if (Applies(p, u, placed))
                    {
                        rank = Math.Min(rank, KeyOf(p, u, placed) is not null ? 0 : 1);
                    }
                }

                if (next < 0 || rank < nextRank || (rank == nextRank && units[u].Estimate < units[next].Estimate))
                {
                    next = u;
                    nextRank = rank;
                }
            }

            var unit = units[next];
            var applicable = pending.Where(p => Applies(p, next, placed)).ToList();
            pending.RemoveAll(applicable.Contains);
            var keys = applicable.Select(p => KeyOf(p, next, placed)).OfType<(Expression Placed, Expression Next)>().ToList();
            var condition = applicable.Count == 0 ? null : applicable.Select(p => p.Expression).Aggregate((a, b) => new BinaryExpression(BinaryOperator.And, a, b));
            if (keys.Count > 0 && unit.Table is not null && unit.Source is TableReference reference && LookupJoin(node, unit, reference, keys, condition, frame) is { } lookup)
            {
                node = lookup;
                order.Add(next);
            }
            else if (unit.Estimate <= rows || keys.Count == 0)
            {
                // The smaller side is held (the right input).
                node = HashOrLoop(node, unit.Node, keys, condition, frame, swapped: false);
                order.Add(next);
            }
            else
            {
                node = HashOrLoop(unit.Node, node, keys, condition, frame, swapped: true);
                order.Insert(0, next);
            }

            // An equality joins each row to about one row in an unfiltered item's worth of distinct keys.
            rows = Math.Clamp(rows * unit.Estimate * (keys.Count > 0 ? 1 / UnfilteredRows : applicable.Count > 0 ? 0.3 : 1), 1, 1e15);
            placed[next] = true;
        }

        return node;
    }

    // Whether a predicate can be checked once item u joins the placed ones (and not before).
    private static bool Applies(JoinPredicate p, int u, bool[] placed) => p.Units.Contains(u) && p.Units.All(x => x == u || placed[x]);

    // The two sides of an equality between the placed items and item u.
    private static (Expression Placed, Expression Next)? KeyOf(JoinPredicate p, int u, bool[] placed)
    {
        if (p is not { Left: { } left, Right: { } right } || p.Expression is not BinaryExpression eq)
        {
            return null;
        }

        if (left.All(x => placed[x]) && right is [var r] && r == u)
        {
            return (eq.Left, eq.Right);
        }

        if (right.All(x => placed[x]) && left is [var l] && l == u)
        {
            return (eq.Right, eq.Left);
        }

        return null;
    }

    private JoinNode HashOrLoop(PlanNode left, PlanNode right, List<(Expression Placed, Expression Next)> keys, Expression? condition, Frame frame, bool swapped)
    {
        var schema = left.Schema.Concat(right.Schema);
        var compiled = condition is null ? null : Compile(condition, schema, frame);
        var leftKeys = keys.Select(k => ExpressionCompiler.Compile(swapped ? k.Next : k.Placed, left.Schema)).ToList();
        var rightKeys = keys.Select(k => ExpressionCompiler.Compile(swapped ? k.Placed : k.Next, right.Schema)).ToList();
        return new JoinNode(JoinKind.Inner, left, right, condition, compiled, leftKeys, rightKeys);
    }

    // An index nested loop into a table whose primary key or index starts with the join's key columns, when that
    // reads fewer rows than the table's own conditions do; null otherwise.
    private LookupJoinNode? LookupJoin(PlanNode left, JoinUnit unit, TableReference reference, List<(Expression Placed, Expression Next)> keys, Expression? condition, Frame frame)
    {
        var alias = reference.Alias ?? reference.Name;

        // The lookup's bounds are evaluated with the left row as their enclosing row, then this level's enclosing rows.
        var lookupFrame = new Frame(RowSchema.Enclosing(left.Schema, frame.Outer));
        lookupFrame.DeclareLocals([reference], name => FindTable(name));
        List<Expression> conjuncts = [.. unit.Filters, .. keys.Select(k => new BinaryExpression(BinaryOperator.Equal, k.Next, k.Placed))];
        var path = ChooseAccess(unit.Table!, alias, conjuncts, lookupFrame, out var score);
        if (score <= unit.Score || !path.IsCorrelated)
        {
            return null;
        }

        if (lookupFrame.Usage.MaxIndex >= left.Schema.Count)
        {
            frame.Usage.Mark(lookupFrame.Usage.MaxIndex - left.Schema.Count);
        }

        var scan = new ScanNode(path, alias);
        _scans.Add(scan);
        var fallback = HashOrLoop(left, unit.Node, keys, condition, frame, swapped: false);
        var filter = unit.Filters.Count == 0 ? null : unit.Filters.Aggregate((a, b) => new BinaryExpression(BinaryOperator.And, a, b));
        var compiledFilter = filter is null ? null : Compile(filter, unit.Schema, frame);
        var compiled = condition is null ? null : Compile(condition, fallback.Schema, frame);
        return new LookupJoinNode(left, scan, compiledFilter, filter, fallback, condition, compiled);
    }

    // An outer join: a WHERE conjunct (pushed) reaches only the preserved side; an ON conjunct over the other side
    // alone narrows that side before the join. A right join is a left join with the sides exchanged, its columns put back.
    private PlanNode PlanOuterJoin(JoinedTable join, List<Expression> pushed, Frame frame)
    {
        var leftSchema = SchemaOf(join.Left, frame);
        var rightSchema = SchemaOf(join.Right, frame);
        var schema = leftSchema.Concat(rightSchema);
        if (join.Condition is { } on && ExpressionCompiler.ContainsAggregate(on))
        {
            throw SqlError.Type("aggregate functions are not allowed in JOIN conditions");
        }

        var leftPush = new List<Expression>();
        var rightPush = new List<Expression>();
        var above = new List<Expression>();
        foreach (var p in pushed)
        {
            if (join.Kind == JoinKind.Left && Within(p, leftSchema))
            {
                leftPush.Add(p);
            }
            else if (join.Kind == JoinKind.Right && Within(p, rightSchema))
            {
                rightPush.Add(p);
            }
            else
            {
                above.Add(p);
            }
        }

        var keep = new List<Expression>();
        foreach (var c in ExpressionRewriter.Conjuncts(join.Condition))
        {
            if (!ExpressionRewriter.HasSubquery(c) && Within(c, schema))
            {
                if (join.Kind == JoinKind.Left && Within(c, rightSchema))
                {
                    rightPush.Add(c);
                    continue;
                }

                if (join.Kind == JoinKind.Right && Within(c, leftSchema))
                {
                    leftPush.Add(c);
                    continue;
                }
            }

            keep.Add(c);
        }

        var leftNode = PlanGraph([join.Left], leftPush, frame);
        var rightNode = PlanGraph([join.Right], rightPush, frame);
        var swap = join.Kind == JoinKind.Right;
        var (probe, build) = swap ? (rightNode, leftNode) : (leftNode, rightNode);
        var joined = probe.Schema.Concat(build.Schema);
        var leftKeys = new List<CompiledExpression>();
        var rightKeys = new List<CompiledExpression>();
        var crossSide = false;
        foreach (var c in keep)
        {
            var key = false;
            if (c is BinaryExpression { Operator: BinaryOperator.Equal } eq && !ExpressionRewriter.HasSubquery(eq) && Within(eq, joined))
            {
                if (Within(eq.Left, probe.Schema) && Within(eq.Right, build.Schema))
                {
                    leftKeys.Add(ExpressionCompiler.Compile(eq.Left, probe.Schema));
                    rightKeys.Add(ExpressionCompiler.Compile(eq.Right, build.Schema));
                    key = true;
                }
                else if (Within(eq.Right, probe.Schema) && Within(eq.Left, build.Schema))
                {
                    leftKeys.Add(ExpressionCompiler.Compile(eq.Right, probe.Schema));
                    rightKeys.Add(ExpressionCompiler.Compile(eq.Left, build.Schema));
                    key = true;
                }
            }

            crossSide |= !key && Reads(c, leftSchema) && Reads(c, rightSchema);
        }

        // PostgreSQL runs a full join only by hashing or merging: a condition between the sides needs an equality beside it.
        if (join.Kind == JoinKind.Full && crossSide && leftKeys.Count == 0)
        {
            throw SqlError.Type("FULL JOIN is only supported with merge-joinable or hash-joinable join conditions");
        }

        var condition = keep.Count == 0 ? null : keep.Aggregate((a, b) => new BinaryExpression(BinaryOperator.And, a, b));
        var compiled = condition is null ? null : Compile(condition, joined, frame);
        PlanNode node = new JoinNode(join.Kind == JoinKind.Full ? JoinKind.Full : JoinKind.Left, probe, build, condition, compiled, leftKeys, rightKeys);
        if (swap)
        {
            var positions = new int[schema.Count];
            for (var i = 0; i < schema.Count; i++)
            {
                positions[i] = i < leftSchema.Count ? probe.Schema.Count + i : i - leftSchema.Count;
            }

            node = new ReorderNode(node, positions, schema);
        }

        return Filtered(node, above, frame);
    }

    // Whether the expression reads some column of the schema.
    private static bool Reads(Expression expression, RowSchema schema) =>
        ExpressionRewriter.Columns(expression).Any(c => schema.TryResolve(c.Table, c.Column, out _) == ColumnLookup.Found);

    // Whether every column the expression reads resolves in the schema (and it reads at least one).
    private static bool Within(Expression expression, RowSchema schema)
    {
        var columns = ExpressionRewriter.Columns(expression).ToList();
        return columns.Count > 0 && columns.All(c => schema.TryResolve(c.Table, c.Column, out _) == ColumnLookup.Found);
    }

    /// <summary>An item of a join graph: a table, a derived table or an outer join, at its place in the FROM clause.</summary>
    private sealed class JoinUnit(TableSource source, RowSchema schema, int offset)
    {
        public TableSource Source { get; } = source;

        public RowSchema Schema { get; } = schema;

        /// <summary>Where its columns start in the FROM clause's row.</summary>
        public int Offset { get; } = offset;

        /// <summary>The conjuncts that read it alone.</summary>
        public List<Expression> Filters { get; } = [];

        public PlanNode Node { get; set; } = null!;

        public double Estimate { get; set; }

        public Storage.TableSchema? Table { get; set; }

        /// <summary>How narrow its own access path is.</summary>
        public int Score { get; set; }
    }

    /// <summary>A conjunct over several items; for an equality between two groups of items, the items of each side.</summary>
    private sealed record JoinPredicate(Expression Expression, int[] Units, int[]? Left, int[]? Right);
}
