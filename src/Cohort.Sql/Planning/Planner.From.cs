using System.Collections.Immutable;
using Cohort.Core;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;
using Cohort.Sql.Storage;

namespace Cohort.Sql.Planning;

internal sealed partial class Planner
{
    private PlanNode PlanFrom(ImmutableArray<TableSource> from, List<Expression> where, Frame frame)
    {
        // The FROM items of this level: a column one of them could supply is not a constant for an access path.
        frame.DeclareLocals(from, name => FindCte(name) is null ? FindTable(name) : null);
        PlanNode? node = null;
        foreach (var source in from)
        {
            var next = PlanSource(source, where, pushable: true, frame);
            node = node is null ? next : new JoinNode(JoinKind.Inner, node, next, null, null, [], []);
        }

        return node!;
    }

    private PlanNode PlanSource(TableSource source, IReadOnlyList<Expression> conjuncts, bool pushable, Frame frame)
    {
        switch (source)
        {
            case TableReference reference when FindCte(reference.Name) is { } cte:
                return PlanCteReference(cte, reference.Alias ?? reference.Name, frame);

            case TableReference reference:
            {
                var table = Table(reference.Name);
                var alias = reference.Alias ?? reference.Name;
                return Scan(table, alias, pushable ? conjuncts : [], frame);
            }

            case DerivedTable derived:
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
                return new AliasNode(plan.Root, derived.Alias, names);
            }

            case JoinedTable join:
            {
                var on = ExpressionRewriter.Conjuncts(join.Condition).ToList();
                var inner = join.Kind != JoinKind.Left;
                var leftConjuncts = inner ? [.. conjuncts, .. on] : conjuncts;
                var left = PlanSource(join.Left, leftConjuncts, pushable, frame);

                // Conditions of the ON clause narrow the right side of a left join too; the WHERE clause does not
                // (it filters after NULL-extension).
                List<Expression> rightConjuncts = inner && pushable ? [.. conjuncts, .. on] : on;
                var right = PlanSource(join.Right, rightConjuncts, pushable: true, frame);
                var schema = left.Schema.Concat(right.Schema);
                if (join.Condition is not { } condition)
                {
                    return new JoinNode(join.Kind == JoinKind.Left ? JoinKind.Left : JoinKind.Inner, left, right, null, null, [], []);
                }

                if (ExpressionCompiler.ContainsAggregate(condition))
                {
                    throw SqlError.Type("aggregate functions are not allowed in JOIN conditions");
                }

                var compiled = Compile(condition, schema, frame);
                var leftKeys = new List<CompiledExpression>();
                var rightKeys = new List<CompiledExpression>();
                foreach (var part in on)
                {
                    if (part is BinaryExpression { Operator: BinaryOperator.Equal } eq && !ExpressionRewriter.HasSubquery(eq))
                    {
                        if (Within(eq.Left, left.Schema) && Within(eq.Right, right.Schema))
                        {
                            leftKeys.Add(ExpressionCompiler.Compile(eq.Left, left.Schema));
                            rightKeys.Add(ExpressionCompiler.Compile(eq.Right, right.Schema));
                        }
                        else if (Within(eq.Right, left.Schema) && Within(eq.Left, right.Schema))
                        {
                            leftKeys.Add(ExpressionCompiler.Compile(eq.Right, left.Schema));
                            rightKeys.Add(ExpressionCompiler.Compile(eq.Left, right.Schema));
                        }
                    }
                }

                return new JoinNode(join.Kind == JoinKind.Left ? JoinKind.Left : JoinKind.Inner, left, right, condition, compiled, leftKeys, rightKeys);
            }

            default:
                throw new NotSupportedException($"FROM item {source.GetType().Name}");
        }
    }

    // Whether every column the expression reads resolves in the schema (and it reads at least one).
    private static bool Within(Expression expression, RowSchema schema)
    {
        var columns = ExpressionRewriter.Columns(expression).ToList();
        return columns.Count > 0 && columns.All(c => schema.TryResolve(c.Table, c.Column, out _) == ColumnLookup.Found);
    }

    private AccessPath ChooseAccess(TableSchema table, string alias, IReadOnlyList<Expression> conjuncts, Frame frame)
    {
        var schema = table.ToRowSchema(alias);
        var candidates = new List<(int Column, BinaryOperator Op, Expression Value)>();
        foreach (var conjunct in conjuncts)
        {
            switch (conjunct)
            {
                case BinaryExpression { Operator: BinaryOperator.Equal or BinaryOperator.Less or BinaryOperator.LessOrEqual or BinaryOperator.Greater or BinaryOperator.GreaterOrEqual } b:
                    if (ColumnOf(b.Left, schema) is { } l && IsConstant(b.Right, frame))
                    {
                        candidates.Add((l, b.Operator, b.Right));
                    }
                    else if (ColumnOf(b.Right, schema) is { } r && IsConstant(b.Left, frame))
                    {
                        candidates.Add((r, Mirror(b.Operator), b.Left));
                    }

                    break;
                case BetweenExpression { Negated: false } between when ColumnOf(between.Operand, schema) is { } c
                    && IsConstant(between.Low, frame) && IsConstant(between.High, frame):
                    candidates.Add((c, BinaryOperator.GreaterOrEqual, between.Low));
                    candidates.Add((c, BinaryOperator.LessOrEqual, between.High));
                    break;
            }
        }

        if (candidates.Count == 0)
        {
            return AccessPath.Full(table);
        }

        AccessPath? best = null;
        OuterUsage? bestUsage = null;
        var bestScore = 0;
        var keys = new List<(IndexSchema? Index, ImmutableArray<int> Columns)>();
        if (!table.HasRowId)
        {
            keys.Add((null, table.PrimaryKey));
        }

        keys.AddRange(table.Indexes.Select(i => ((IndexSchema?)i, i.Columns)));
        foreach (var (index, columns) in keys)
        {
            var usage = new OuterUsage();
            var equalities = new List<KeyBound>();
            KeyBound? lower = null;
            KeyBound? upper = null;
            foreach (var column in columns)
            {
                if (candidates.FirstOrDefault(c => c.Column == column && c.Op == BinaryOperator.Equal) is { Value: not null } eq)
                {
                    equalities.Add(Bound(eq.Value, true, frame, usage));
                    continue;
                }

                foreach (var (c, op, value) in candidates)
                {
                    if (c != column)
                    {
                        continue;
                    }

                    if (op is BinaryOperator.Greater or BinaryOperator.GreaterOrEqual && lower is null)
                    {
                        lower = Bound(value, op == BinaryOperator.GreaterOrEqual, frame, usage);
                    }
                    else if (op is BinaryOperator.Less or BinaryOperator.LessOrEqual && upper is null)
                    {
                        upper = Bound(value, op == BinaryOperator.LessOrEqual, frame, usage);
                    }
                }

                break;
            }

            var path = AccessPath.Range(table, index, equalities, lower, upper, usage.IsUsed);
            var score = (equalities.Count * 4) + (lower is not null ? 1 : 0) + (upper is not null ? 1 : 0) + (path.IsPoint ? 100 : 0);
            if (score > bestScore)
            {
                best = path;
                bestScore = score;
                bestUsage = usage;
            }
        }

        if (best is { IsCorrelated: true } && bestUsage is not null)
        {
            frame.Usage.Mark(bestUsage.MaxIndex);
        }

        return best ?? AccessPath.Full(table);
    }

    private KeyBound Bound(Expression value, bool inclusive, Frame frame, OuterUsage usage) =>
        new(ExpressionCompiler.Compile(value, RowSchema.Empty, frame.Outer, usage), inclusive, SqlPrinter.Print(value));

    private static int? ColumnOf(Expression expression, RowSchema schema) =>
        expression is ColumnReference c && schema.TryResolve(c.Table, c.Column, out var index) == ColumnLookup.Found ? index : null;

    // A bound must be the same for every row of this level: literals, parameters, functions of them, and columns
    // of an enclosing query that no FROM item of this level could supply.
    private static bool IsConstant(Expression expression, Frame frame)
    {
        if (ExpressionRewriter.HasSubquery(expression) || ExpressionCompiler.ContainsAggregate(expression))
        {
            return false;
        }

        foreach (var column in ExpressionRewriter.Columns(expression))
        {
            if (frame.Outer is null || frame.IsLocal(column) || frame.Outer.TryResolveNearest(column.Table, column.Column, out _) != ColumnLookup.Found)
            {
                return false;
            }
        }

        try
        {
            ExpressionCompiler.Compile(expression, RowSchema.Empty, frame.Outer);
            return true;
        }
        catch (CohortException)
        {
            return false;
        }
    }

    private static BinaryOperator Mirror(BinaryOperator op) => op switch
    {
        BinaryOperator.Less => BinaryOperator.Greater,
        BinaryOperator.LessOrEqual => BinaryOperator.GreaterOrEqual,
        BinaryOperator.Greater => BinaryOperator.Less,
        BinaryOperator.GreaterOrEqual => BinaryOperator.LessOrEqual,
        _ => op,
    };
}
