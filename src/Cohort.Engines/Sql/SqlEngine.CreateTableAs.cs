using System.Collections.Immutable;
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
    // CREATE TABLE … AS query: the query runs first (it cannot see the new table), then the table is created with its
    // columns and types (no primary key: rows are keyed by row id) and its rows are inserted, all in the transaction and
    // as one statement: a failure part-way takes back the table too, and so does an abort.
    private async ValueTask<Value> CreateTableAsAsync(
        CreateTableAsStatement create, Value[] parameters, DateTime now, SqlTransaction tx, CancellationToken cancellationToken, CancellationToken executionToken)
    {
        var view = new TransactionView(_store, tx);
        await LockCatalogAsync(tx, create.Name, cancellationToken).ConfigureAwait(false);
        if (view.FindTable(create.Name) is not null)
        {
            return create.IfNotExists ? Done() : throw SqlError.Type($"relation \"{create.Name}\" already exists");
        }

        foreach (var table in ReferencedTables(create.Query))
        {
            if (table != create.Name)
            {
                await Locks.AcquireAsync(tx.Locks, SqlLocks.CatalogLock(table), LockMode.Shared, cancellationToken).ConfigureAwait(false);
            }
        }

        var plan = Planner.Plan(create.Query, view);
        var query = plan.Query!;
        if (create.Columns.Length > query.ColumnNames.Count)
        {
            throw SqlError.Type("too many column names were specified");
        }

        var state = new ExecutionState(view, plan.Subqueries) { Cancellation = executionToken.CanBeCanceled ? executionToken : cancellationToken };
        var context = new EvaluationContext(parameters, now, state);
        await StabilizeAsync(plan, state, context, tx, null, cancellationToken).ConfigureAwait(false);
        var rows = new List<Value[]>();
        foreach (var row in query.Root.Execute(state, context))
        {
            state.Hold();
            rows.Add(row);
        }

        var columns = ImmutableArray.CreateBuilder<ColumnDefinition>(query.ColumnNames.Count);
        for (var i = 0; i < query.ColumnNames.Count; i++)
        {
            var name = i < create.Columns.Length ? create.Columns[i] : query.ColumnNames[i];
            columns.Add(new ColumnDefinition(name, ColumnType(query.Types[i], rows, i), NotNull: false, PrimaryKey: false, Unique: false, Default: null));
        }

        var schema = TableSchema.Create(new CreateTableStatement(create.Name, false, columns.MoveToImmutable(), []));
        tx.Write(SqlKey.Catalog(schema.Name), SchemaCache.Encode(schema));
        var write = new StatementPlan.WritePlan
        {
            Kind = StatementPlan.WriteKind.Insert,
            Table = schema,
            Columns = [.. Enumerable.Range(0, schema.Columns.Length)],
            Defaults = [.. schema.Columns.Select(_ => (CompiledExpression?)null)],
        };
        var touched = new HashSet<SqlKey>(SqlKeyComparer.Instance);
        foreach (var row in rows)
        {
            await InsertAsync(write, NewRow(write, row, context), state, context, tx, touched, cancellationToken).ConfigureAwait(false);
        }

        return Result([], [], rows.Count);
    }

    // The column type: the query's, when known at plan time; an unknown literal is text (as in PostgreSQL); otherwise the
    // type of the values the query returned.
    private static SqlType ColumnType(ResultType type, List<Value[]> rows, int column)
    {
        if (type.Type is { } known)
        {
            return known;
        }

        var kind = type.Untyped ? ValueKind.String : rows.Select(r => r[column].Kind).FirstOrDefault(k => k != ValueKind.Null);
        return new SqlType(kind switch
        {
            ValueKind.Int64 => SqlTypeKind.BigInt,
            ValueKind.Double => SqlTypeKind.Double,
            ValueKind.Decimal => SqlTypeKind.Decimal,
            ValueKind.Bool => SqlTypeKind.Boolean,
            ValueKind.Bytes => SqlTypeKind.Bytea,
            _ => SqlTypeKind.Text,
        });
    }
}
