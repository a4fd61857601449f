using System.Collections.Immutable;
using System.Globalization;
using Cohort.Core;
using Cohort.Engines.Sql.Views;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;
using Cohort.Sql.Planning;
using Cohort.Sql.Storage;
using Cohort.Storage.Locking;

namespace Cohort.Engines.Sql;

public sealed partial class SqlEngine
{
    // cancellationToken cancels waits (locks, prepared writes: those end at the deadline on their own, as lock_timeout);
    // execution, which never waits, stops on executionToken (the deadline too), else on cancellationToken.
    private async ValueTask<Value> RunAsync(string text, Value[] parameters, SqlTransaction? tx, HlcTimestamp? snapshot, CancellationToken cancellationToken, CancellationToken executionToken = default)
    {
        var cached = _statements.Get(text);
        var statement = cached.Statement;
        if (parameters.Length < statement.ParameterCount)
        {
            throw SqlError.Type($"the statement uses {statement.ParameterCount} parameter(s) but {parameters.Length} were given");
        }

        var now = Options.TimeProvider.GetUtcNow().UtcDateTime;
        if (statement is SelectStatement { AsOf: { } asOf })
        {
            // AS OF reads the past without locks, inside a transaction too.
            snapshot = ResolveAsOf(asOf, parameters, now);
            tx = null;
        }
        else if (tx is null && statement is not (QueryExpression or ExplainStatement))
        {
            throw new CohortException(ErrorCodes.BadOperation, $"{StatementName(statement)} writes; run it in a transaction, not as a snapshot read.", isTransient: false);
        }

        if (tx is not null && statement is CreateTableAsStatement createAs)
        {
            return await CreateTableAsAsync(createAs, parameters, now, tx, cancellationToken, executionToken).ConfigureAwait(false);
        }

        if (tx is not null && IsDdl(statement))
        {
            return await ExecuteDdlAsync(statement, parameters, now, tx, cancellationToken).ConfigureAwait(false);
        }

        ISqlView view = tx is null ? new SnapshotView(_store, snapshot!.Value) : new TransactionView(_store, tx);
        if (tx is not null)
        {
            foreach (var table in ReferencedTables(statement))
            {
                await Locks.AcquireAsync(tx.Locks, SqlLocks.CatalogLock(table), LockMode.Shared, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            var catalog = SqlLocks.CatalogRange;
            await _store.WaitForPreparedAsync(catalog.Low, catalog.IsBeforeHigh, snapshot!.Value, cancellationToken).ConfigureAwait(false);
        }

        var plan = cached.Plan;
        if (plan is null || !plan.IsValidFor(view))
        {
            plan = Planner.Plan(statement, view);
            cached.Plan = plan;
        }

        if (plan.Explained is { } explained)
        {
            return Explain(explained);
        }

        var state = new ExecutionState(view, plan.Subqueries) { Cancellation = executionToken.CanBeCanceled ? executionToken : cancellationToken };
        var context = new EvaluationContext(parameters, now, state);
        await StabilizeAsync(plan, state, context, tx, snapshot, cancellationToken).ConfigureAwait(false);
        if (plan.Write is { } write)
        {
            return await ExecuteWriteAsync(plan, write, state, context, tx!, cancellationToken).ConfigureAwait(false);
        }

        var query = plan.Query!;
        var rows = new List<Value[]>();
        foreach (var row in query.Root.Execute(state, context))
        {
            // The result is held until it is sent.
            state.Hold();
            rows.Add(row);
        }

        return Result(query.ColumnNames, rows, affected: null);
    }

    // Makes every range the statement reads stable: locked (read-write) or free of earlier prepared writes (snapshot).
    private async ValueTask StabilizeAsync(StatementPlan plan, ExecutionState state, EvaluationContext context, SqlTransaction? tx, HlcTimestamp? snapshot, CancellationToken cancellationToken)
    {
        foreach (var scan in plan.Scans)
        {
            // A correlated scan's range changes from row to row: protect the whole table.
            var range = scan.Path.IsCorrelated ? SqlLocks.WholeTable(scan.Table.Name) : state.Resolve(scan, context);
            if (tx is not null)
            {
                await Locks.AcquireRangeAsync(tx.Locks, SqlLocks.Space(scan.Table.Name), SqlLocks.Range(range), LockMode.Shared, SqlLocks.Comparer, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var at = snapshot!.Value;
            await _store.WaitForPreparedAsync(range.Low, range.IsBeforeHigh, at, cancellationToken).ConfigureAwait(false);
            if (scan.Path.Index is not null)
            {
                // Rows reached through an index can have prepared changes that leave the index entry alone.
                var rows = SqlLocks.WholeTable(scan.Table.Name);
                await _store.WaitForPreparedAsync(rows.Low, rows.IsBeforeHigh, at, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private HlcTimestamp ResolveAsOf(Expression asOf, Value[] parameters, DateTime now)
    {
        var value = ExpressionCompiler.Compile(asOf, RowSchema.Empty).Evaluate([], new EvaluationContext(parameters, now));
        HlcTimestamp snapshot;
        if (value.Kind == ValueKind.Int64)
        {
            snapshot = new HlcTimestamp(value.AsInt64());
        }
        else if (value.Kind == ValueKind.String && DateTimeOffset.TryParse(value.AsString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            // The whole millisecond: every commit stamped within it is visible.
            snapshot = new HlcTimestamp(HlcTimestamp.FromDateTimeOffset(time).Value | ((1L << HlcTimestamp.LogicalBits) - 1));
        }
        else
        {
            throw SqlError.Type($"AS OF needs a timestamp such as '2026-01-31 12:00:00' (UTC) or an HLC value, not {ValueJson.Serialize(value)}");
        }

        if (snapshot > Clock.Now())
        {
            throw new CohortException(ErrorCodes.BadOperation, $"AS OF {value} lies in the future.", isTransient: false);
        }

        return snapshot;
    }

    private static Value Result(IReadOnlyList<string> columns, IReadOnlyList<Value[]> rows, long? affected)
    {
        var list = ImmutableArray.CreateBuilder<Value>(rows.Count);
        foreach (var row in rows)
        {
            list.Add(Value.List(Array.Exists(row, v => v.Kind == ValueKind.List) ? [.. row.Select(OutputValue)] : ImmutableArray.Create(row)));
        }

        return Value.Map(
            ("columns", Value.List(ImmutableArray.CreateRange(columns.Select(Value.From)))),
            ("rows", Value.List(list.MoveToImmutable())),
            ("affected", Value.From(affected ?? rows.Count)));
    }

    // An INTERVAL travels inside the engine as a list of its fields; it leaves as PostgreSQL's text form.
    private static Value OutputValue(Value value) => SqlInterval.IsInterval(value) ? SqlInterval.FromValue(value).ToString() : value;

    private static Value Explain(StatementPlan plan)
    {
        var lines = new List<string>();
        if (plan.Write is { } write)
        {
            lines.Add($"{write.Kind} on {write.Table.Name}");
            if (write.Scan is { } scan)
            {
                Describe(scan, 2, lines, child: true);
            }
            else if (plan.Query is { } source)
            {
                Describe(source.Root, 2, lines, child: true);
            }
        }
        else
        {
            Describe(plan.Query!.Root, 0, lines, child: false);
        }

        foreach (var (_, subquery) in plan.Subqueries)
        {
            lines.Add(subquery.Correlated ? "SubPlan (correlated)" : "InitPlan");
            Describe(subquery.Plan, 2, lines, child: true);
        }

        return Result(["QUERY PLAN"], [.. lines.Select(l => new[] { Value.From(l) })], affected: null);
    }

    private static void Describe(PlanNode node, int indent, List<string> lines, bool child)
    {
        // Pass-through operators add nothing a reader needs.
        if (node is TrimNode)
        {
            Describe(node.Children[0], indent, lines, child);
            return;
        }

        var prefix = new string(' ', indent) + (child ? "->  " : string.Empty);
        lines.Add(prefix + node.Title);
        var detailIndent = new string(' ', indent + (child ? 6 : 2));
        foreach (var detail in node.Details)
        {
            lines.Add(detailIndent + detail);
        }

        foreach (var input in node.Children)
        {
            Describe(input, indent + (child ? 6 : 2), lines, child: true);
        }
    }

    private static bool IsDdl(Statement statement) =>
        statement is CreateTableStatement or DropTableStatement or CreateIndexStatement or DropIndexStatement or AlterTableAddColumnStatement
            or AlterTableDropColumnStatement or AlterTableRenameColumnStatement or AlterTableRenameStatement;

    private static string StatementName(Statement statement) => statement switch
    {
        InsertStatement => "INSERT",
        UpdateStatement => "UPDATE",
        DeleteStatement => "DELETE",
        CreateTableStatement or CreateTableAsStatement => "CREATE TABLE",
        DropTableStatement => "DROP TABLE",
        CreateIndexStatement => "CREATE INDEX",
        DropIndexStatement => "DROP INDEX",
        AlterTableAddColumnStatement or AlterTableDropColumnStatement or AlterTableRenameColumnStatement or AlterTableRenameStatement => "ALTER TABLE",
        _ => "The statement",
    };

    // Every table a statement names, sorted so that transactions take catalog locks in one order.
    private static SortedSet<string> ReferencedTables(Statement statement)
    {
        var tables = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var node in SyntaxTree.DescendantsAndSelf(statement))
        {
            switch (node)
            {
                case TableReference t:
                    tables.Add(t.Name);
                    break;
                case InsertStatement i:
                    tables.Add(i.Table);
                    break;
            }
        }

        return tables;
    }
}
