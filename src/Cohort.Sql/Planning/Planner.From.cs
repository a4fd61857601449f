using System.Collections.Immutable;
using Cohort.Core;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;
using Cohort.Sql.Storage;

namespace Cohort.Sql.Planning;

internal sealed partial class Planner
{
    private AccessPath ChooseAccess(TableSchema table, string alias, IReadOnlyList<Expression> conjuncts, Frame frame) =>
        ChooseAccess(table, alias, conjuncts, frame, out _);

    // The score says how narrow the path is (0 for a full scan): 4 per key equality, 1 per range bound, 100 for one row.
    private AccessPath ChooseAccess(TableSchema table, string alias, IReadOnlyList<Expression> conjuncts, Frame frame, out int bestScore)
    {
        bestScore = 0;
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
