using Cohort.Core;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;
using Cohort.Sql.Storage;

namespace Cohort.Sql.Planning;

internal sealed partial class Planner
{
    /// <summary>The schema of EXCLUDED in ON CONFLICT DO UPDATE.</summary>
    public const string Excluded = "excluded";

    /// <summary>Plans a SELECT, INSERT, UPDATE, DELETE or EXPLAIN of one of them against <paramref name="view"/>.</summary>
    public static StatementPlan Plan(Statement statement, ISqlView view)
    {
        var planner = new Planner(view);
        return statement switch
        {
            ExplainStatement explain => Explain(Plan(explain.Statement, view)),
            QueryExpression query => planner.Finish(query: planner.PlanQuery(planner._root = query, new Frame(null))),
            InsertStatement insert => planner.PlanInsert(insert),
            UpdateStatement update => planner.PlanUpdate(update),
            DeleteStatement delete => planner.PlanDelete(delete),
            _ => throw new ArgumentException($"{statement.GetType().Name} is not planned", nameof(statement)),
        };
    }

    // An EXPLAIN depends on the schemas of the plan it shows: cached, it must be made again when they change.
    private static StatementPlan Explain(StatementPlan explained) => new()
    {
        Dependencies = explained.Dependencies,
        Scans = [],
        Subqueries = new Dictionary<QueryExpression, SubqueryPlan>(ReferenceEqualityComparer.Instance),
        Explained = explained,
    };

    private StatementPlan Finish(QueryPlan? query = null, StatementPlan.WritePlan? write = null, StatementPlan? explained = null) => new()
    {
        Dependencies = new Dictionary<string, TableSchema?>(_dependencies, StringComparer.Ordinal),
        Scans = [.. _scans],
        Subqueries = new Dictionary<QueryExpression, SubqueryPlan>(_subqueries, ReferenceEqualityComparer.Instance),
        Query = query,
        Write = write,
        Explained = explained,
    };

    private StatementPlan PlanInsert(InsertStatement insert)
    {
        var table = Table(insert.Table);
        var frame = new Frame(null);
        var columns = new List<int>();
        if (insert.Columns.IsEmpty)
        {
            columns.AddRange(Enumerable.Range(0, table.Columns.Length));
        }
        else
        {
            foreach (var name in insert.Columns)
            {
                var index = table.FindColumn(name);
                if (index < 0)
                {
                    throw SqlError.Type($"column \"{name}\" of relation \"{table.Name}\" does not exist");
                }

                if (columns.Contains(index))
                {
                    throw SqlError.Type($"column \"{name}\" specified more than once");
                }

                columns.Add(index);
            }
        }

        List<IReadOnlyList<CompiledExpression>>? values = null;
        QueryPlan? query = null;
        switch (insert.Source)
        {
            case ValuesSource v:
                values = [];
                foreach (var row in v.Rows)
                {
                    if (row.Length != columns.Count)
                    {
                        throw SqlError.Type(row.Length > columns.Count ? "INSERT has more expressions than target columns" : "INSERT has more target columns than expressions");
                    }

                    values.Add([.. row.Select(e => Compile(e, RowSchema.Empty, frame))]);
                }

                break;
            case QuerySource q:
                query = PlanQuery(q.Query, new Frame(null));
                if (query.ColumnNames.Count != columns.Count)
                {
                    throw SqlError.Type(query.ColumnNames.Count > columns.Count ? "INSERT has more expressions than target columns" : "INSERT has more target columns than expressions");
                }

                break;
        }

        var defaults = table.Columns.Select(c => c.Default is { } d ? Compile(d, RowSchema.Empty, frame) : null).ToList();
        var rowSchema = table.ToRowSchema();
        StatementPlan.ConflictTarget? conflict = null;
        var assignments = new List<(int, CompiledExpression)>();
        if (insert.OnConflict is { } onConflict)
        {
            IndexSchema? index = null;
            var any = onConflict.TargetColumns.IsEmpty;
            if (!any)
            {
                var target = onConflict.TargetColumns.Select(c => table.FindColumn(c) is var i and >= 0 ? i : throw SqlError.Type($"column \"{c}\" does not exist")).ToHashSet();
                if (!(target.SetEquals(table.PrimaryKey) && !table.HasRowId))
                {
                    index = table.Indexes.FirstOrDefault(i => i.Unique && target.SetEquals(i.Columns))
                        ?? throw SqlError.Type("there is no unique or exclusion constraint matching the ON CONFLICT specification");
                }
            }

            if (onConflict.Action == ConflictAction.DoUpdate && any)
            {
                throw SqlError.Type("ON CONFLICT DO UPDATE requires inference specification or constraint name");
            }

            var both = rowSchema.Concat(table.ToRowSchema(Excluded));
            assignments = Assignments(table, onConflict.Assignments, both, frame);
            var where = onConflict.Where is { } w ? Compile(w, both, frame) : null;
            conflict = new StatementPlan.ConflictTarget(onConflict.Action, index, any, where);
        }

        var (returning, names) = Returning(insert.Returning, rowSchema, frame);
        return Finish(query: query, write: new StatementPlan.WritePlan
        {
            Kind = StatementPlan.WriteKind.Insert,
            Table = table,
            Columns = columns,
            Values = values,
            Defaults = defaults,
            Conflict = conflict,
            Assignments = assignments,
            Returning = returning,
            ReturningNames = names,
        });
    }

    private StatementPlan PlanUpdate(UpdateStatement update) =>
        PlanChange(StatementPlan.WriteKind.Update, update.Table, update.Where, update.Assignments, update.Returning);

    private StatementPlan PlanDelete(DeleteStatement delete) =>
        PlanChange(StatementPlan.WriteKind.Delete, delete.Table, delete.Where, [], delete.Returning);

    // UPDATE and DELETE: a scan of the target table narrowed by the WHERE conjuncts, the WHERE itself over the row,
    // the assignments (UPDATE) and RETURNING, all over the target's row.
    private StatementPlan PlanChange(
        StatementPlan.WriteKind kind, TableReference target, Expression? where, IEnumerable<Assignment> assignments, IEnumerable<SelectItem> returningItems)
    {
        var table = Table(target.Name);
        var frame = new Frame(null);
        frame.DeclareLocals([target], FindTable);
        var scan = Scan(table, target.Alias ?? table.Name, [.. ExpressionRewriter.Conjuncts(where)], frame);
        var filter = where is not null ? Compile(NoAggregates(where, "WHERE"), scan.Schema, frame) : null;
        var compiled = Assignments(table, assignments, scan.Schema, frame);
        var (returning, names) = Returning(returningItems, scan.Schema, frame);
        return Finish(write: new StatementPlan.WritePlan
        {
            Kind = kind,
            Table = table,
            Scan = scan,
            Filter = filter,
            Assignments = compiled,
            Returning = returning,
            ReturningNames = names,
        });
    }

    private static Expression NoAggregates(Expression expression, string clause) =>
        ExpressionCompiler.ContainsAggregate(expression) ? throw SqlError.Type($"aggregate functions are not allowed in {clause}") : expression;

    private List<(int, CompiledExpression)> Assignments(TableSchema table, IEnumerable<Assignment> assignments, RowSchema scope, Frame frame)
    {
        var result = new List<(int, CompiledExpression)>();
        foreach (var assignment in assignments)
        {
            var column = table.FindColumn(assignment.Column);
            if (column < 0)
            {
                throw SqlError.Type($"column \"{assignment.Column}\" of relation \"{table.Name}\" does not exist");
            }

            if (result.Any(a => a.Item1 == column))
            {
                throw SqlError.Type($"multiple assignments to same column \"{assignment.Column}\"");
            }

            result.Add((column, Compile(NoAggregates(assignment.Value, "UPDATE"), scope, frame)));
        }

        return result;
    }

    private (List<CompiledExpression> Expressions, List<string> Names) Returning(IEnumerable<SelectItem> items, RowSchema scope, Frame frame)
    {
        var expressions = new List<CompiledExpression>();
        var names = new List<string>();
        foreach (var item in ExpandItems(items, scope))
        {
            expressions.Add(item.Expression is { } e ? Compile(NoAggregates(e, "RETURNING"), scope, frame) : ColumnAt(item.Index, scope));
            names.Add(item.Name);
        }

        return (expressions, names);
    }
}
