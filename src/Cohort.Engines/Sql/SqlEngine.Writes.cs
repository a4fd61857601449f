using System.Collections.Immutable;
using Cohort.Core;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;
using Cohort.Sql.Planning;
using Cohort.Sql.Storage;
using Cohort.Storage.Locking;

namespace Cohort.Engines.Sql;

public sealed partial class SqlEngine
{
    private async ValueTask<Value> ExecuteWriteAsync(StatementPlan plan, StatementPlan.WritePlan write, ExecutionState state, EvaluationContext context, SqlTransaction tx, CancellationToken cancellationToken)
    {
        var returned = new List<Value[]>();
        long affected = 0;
        var table = write.Table;
        switch (write.Kind)
        {
            case StatementPlan.WriteKind.Insert:
            {
                // The source is read in full before the first write (INSERT INTO t SELECT … FROM t sees t as it was).
                var sources = write.Values is { } values
                    ? [.. values.Select(row => row.Select(e => e.Evaluate([], context)).ToArray())]
                    : plan.Query!.Root.Execute(state, context).ToList();
                var touched = new HashSet<SqlKey>(SqlKeyComparer.Instance);
                foreach (var source in sources)
                {
                    var row = NewRow(write, source, context);
                    var written = await InsertAsync(write, row, state, context, tx, touched, cancellationToken).ConfigureAwait(false);
                    if (written is not null)
                    {
                        affected++;
                        Return(write, written, context, returned);
                    }
                }

                break;
            }

            case StatementPlan.WriteKind.Update:
            {
                // Every new row (and RETURNING value) is computed before the first write: a subquery in SET or
                // RETURNING reads the table as the statement found it, as in PostgreSQL, not half updated.
                var changes = new List<(SqlKey Key, Value[] Row, SqlKey NewKey, Value[] Updated)>();
                foreach (var (key, row) in Targets(write, state, context))
                {
                    var updated = (Value[])row.Clone();
                    foreach (var (column, value) in write.Assignments)
                    {
                        updated[column] = Assign(table, column, value.Evaluate(row, context));
                    }

                    CheckNotNull(table, updated);
                    changes.Add((key, row, table.HasRowId ? key : RowCodec.RowKey(table, ImmutableArray.Create(updated)), updated));
                    Return(write, updated, context, returned);
                }

                foreach (var (key, row, newKey, updated) in changes)
                {
                    await WriteRowAsync(table, key, row, newKey, updated, state, tx, cancellationToken).ConfigureAwait(false);
                    affected++;
                }

                break;
            }

            case StatementPlan.WriteKind.Delete:
            {
                var targets = Targets(write, state, context);
                foreach (var (_, row) in targets)
                {
                    Return(write, row, context, returned);
                }

                foreach (var (key, row) in targets)
                {
                    await WriteRowAsync(table, key, row, null, null, state, tx, cancellationToken).ConfigureAwait(false);
                    affected++;
                }

                break;
            }
        }

        return write.Returning.Count > 0 ? Result(write.ReturningNames, returned, affected) : Result([], [], affected);
    }

    // The rows an UPDATE or DELETE changes, read in full before the first change.
    private static List<(SqlKey Key, Value[] Row)> Targets(StatementPlan.WritePlan write, ExecutionState state, EvaluationContext context) =>
        [.. write.Scan!.ExecuteWithKeys(state, context).Where(t => write.Filter is null || write.Filter.IsSatisfied(t.Row, context))];

    private static void Return(StatementPlan.WritePlan write, Value[] row, EvaluationContext context, List<Value[]> returned)
    {
        if (write.Returning.Count > 0)
        {
            returned.Add([.. write.Returning.Select(e => e.Evaluate(row, context))]);
        }
    }

    private static Value[] NewRow(StatementPlan.WritePlan write, Value[] source, EvaluationContext context)
    {
        var table = write.Table;
        var row = new Value[table.Columns.Length];
        var given = new bool[row.Length];
        for (var i = 0; i < write.Columns.Count; i++)
        {
            row[write.Columns[i]] = Assign(table, write.Columns[i], source[i]);
            given[write.Columns[i]] = true;
        }

        for (var c = 0; c < row.Length; c++)
        {
            if (!given[c] && write.Defaults[c] is { } fallback)
            {
                row[c] = Assign(table, c, fallback.Evaluate([], context));
            }
        }

        CheckNotNull(table, row);
        return row;
    }

    private static Value Assign(TableSchema table, int column, Value value) =>
        SqlSemantics.Assign(value, table.Columns[column].Type, table.Columns[column].Name);

    private static void CheckNotNull(TableSchema table, Value[] row)
    {
        for (var c = 0; c < row.Length; c++)
        {
            if (row[c].IsNull && (table.Columns[c].NotNull || (!table.HasRowId && table.PrimaryKey.Contains(c))))
            {
                throw new CohortException(
                    ErrorCodes.ConstraintViolation,
                    $"null value in column \"{table.Columns[c].Name}\" of relation \"{table.Name}\" violates not-null constraint",
                    isTransient: false);
            }
        }
    }

    // Inserts a row, or applies ON CONFLICT; returns the row written (inserted or updated) or null when nothing was.
    // <paramref name="touched"/> holds the keys of the rows this statement has inserted or updated so far.
    private async ValueTask<Value[]?> InsertAsync(
        StatementPlan.WritePlan write, Value[] row, ExecutionState state, EvaluationContext context, SqlTransaction tx, HashSet<SqlKey> touched, CancellationToken cancellationToken)
    {
        var table = write.Table;
        var key = table.HasRowId ? RowCodec.RowKey(table.Name, Clock.Now().Value) : RowCodec.RowKey(table, ImmutableArray.Create(row));
        var conflict = await FindConflictAsync(table, key, row, null, state, tx, cancellationToken).ConfigureAwait(false);
        if (conflict is null)
        {
            await WriteRowAsync(table, null, null, key, row, state, tx, cancellationToken, checkConstraints: false).ConfigureAwait(false);
            touched.Add(key);
            return row;
        }

        var (constraint, existingKey) = conflict.Value;
        if (write.Conflict is not { } onConflict || !(onConflict.AnyConstraint || ReferenceEquals(onConflict.Index, constraint)))
        {
            throw Duplicate(table, constraint, row);
        }

        if (onConflict.Action == ConflictAction.DoNothing)
        {
            return null;
        }

        if (touched.Contains(existingKey))
        {
            // Which of the statement's rows would win is undefined; PostgreSQL refuses the statement.
            throw new CohortException(
                ErrorCodes.BadOperation,
                "ON CONFLICT DO UPDATE command cannot affect row a second time: ensure that no rows proposed for insertion within the same command have duplicate constrained values",
                isTransient: false);
        }

        if (!state.View.TryGet(existingKey, out var stored))
        {
            throw new CohortException(ErrorCodes.Corruption, $"Conflicting row {existingKey} of \"{table.Name}\" is missing.", isTransient: false);
        }

        var existing = RowCodec.DecodeRow(table, stored).ToArray();
        var both = existing.Concat(row).ToArray();
        if (onConflict.Where is { } where && !where.IsSatisfied(both, context))
        {
            return null;
        }

        var updated = (Value[])existing.Clone();
        foreach (var (column, value) in write.Assignments)
        {
            updated[column] = Assign(table, column, value.Evaluate(both, context));
        }

        CheckNotNull(table, updated);
        var newKey = table.HasRowId ? existingKey : RowCodec.RowKey(table, ImmutableArray.Create(updated));
        await WriteRowAsync(table, existingKey, existing, newKey, updated, state, tx, cancellationToken).ConfigureAwait(false);
        touched.Add(newKey);
        return updated;
    }

    // The first constraint (primary key, then unique indexes) the row would violate and the key of the row it
    // collides with; <paramref name="self"/> is the row's own key when it is being updated.
    private async ValueTask<(IndexSchema? Constraint, SqlKey Existing)?> FindConflictAsync(
        TableSchema table, SqlKey key, Value[] row, SqlKey? self, ExecutionState state, SqlTransaction tx, CancellationToken cancellationToken)
    {
        if (!table.HasRowId && (self is null || !SqlKeyComparer.Instance.Equals(self, key)))
        {
            await LockAsync(tx, key, cancellationToken).ConfigureAwait(false);
            if (state.View.TryGet(key, out _))
            {
                return (null, key);
            }
        }

        var values = ImmutableArray.Create(row);
        foreach (var index in table.Indexes)
        {
            if (!index.Unique || index.Columns.Any(c => row[c].IsNull))
            {
                continue;
            }

            var entry = RowCodec.IndexEntry(table, index, values, key);
            await LockAsync(tx, entry.Key, cancellationToken).ConfigureAwait(false);
            if (state.View.TryGet(entry.Key, out var existing))
            {
                var owner = RowCodec.RowKeyOfIndexEntry(table.Name, existing);
                if (self is null || !SqlKeyComparer.Instance.Equals(owner, self))
                {
                    return (index, owner);
                }
            }
        }

        return null;
    }

    private static CohortException Duplicate(TableSchema table, IndexSchema? constraint, Value[] row)
    {
        var columns = constraint?.Columns ?? table.PrimaryKey;
        var names = string.Join(", ", columns.Select(c => table.Columns[c].Name));
        var values = string.Join(", ", columns.Select(c => SqlSemantics.ToText(row[c])));
        return new CohortException(
            ErrorCodes.ConstraintViolation,
            $"duplicate key value violates unique constraint \"{constraint?.Name ?? table.PrimaryKeyName}\": Key ({names})=({values}) already exists.",
            isTransient: false);
    }

    // Replaces oldRow (at oldKey) with newRow (at newKey); either may be absent (insert, delete). Locks every key
    // touched — the row keys and, for every index, the old and the new entry even when unchanged — so that any
    // transaction that read a range containing the row, through any index, conflicts with this write.
    private async ValueTask WriteRowAsync(
        TableSchema table, SqlKey? oldKey, Value[]? oldRow, SqlKey? newKey, Value[]? newRow, ExecutionState state, SqlTransaction tx, CancellationToken cancellationToken, bool checkConstraints = true)
    {
        var moved = oldKey is not null && newKey is not null && !SqlKeyComparer.Instance.Equals(oldKey, newKey);
        if (!checkConstraints || newRow is null)
        {
            // Nothing to check: a delete, or an insert whose constraints the caller checked.
        }
        else if (moved || oldKey is null)
        {
            if (await FindConflictAsync(table, newKey!, newRow!, oldKey, state, tx, cancellationToken).ConfigureAwait(false) is { } conflict)
            {
                throw Duplicate(table, conflict.Constraint, newRow!);
            }
        }
        else
        {
            // Same row key: only the unique indexes can collide.
            if (await FindConflictAsync(table, oldKey!, newRow, oldKey, state, tx, cancellationToken).ConfigureAwait(false) is { } conflict)
            {
                throw Duplicate(table, conflict.Constraint, newRow);
            }
        }

        if (oldKey is not null)
        {
            await LockAsync(tx, oldKey, cancellationToken).ConfigureAwait(false);
        }

        if (newKey is not null)
        {
            await LockAsync(tx, newKey, cancellationToken).ConfigureAwait(false);
        }

        var oldValues = oldRow is null ? default : ImmutableArray.Create(oldRow);
        var newValues = newRow is null ? default : ImmutableArray.Create(newRow);
        foreach (var index in table.Indexes)
        {
            KeyValuePair<SqlKey, Value>? before = oldRow is null ? null : RowCodec.IndexEntry(table, index, oldValues, oldKey!);
            KeyValuePair<SqlKey, Value>? after = newRow is null ? null : RowCodec.IndexEntry(table, index, newValues, newKey!);
            if (before is { } b)
            {
                await LockAsync(tx, b.Key, cancellationToken).ConfigureAwait(false);
            }

            if (after is { } a)
            {
                await LockAsync(tx, a.Key, cancellationToken).ConfigureAwait(false);
            }

            var sameKey = before is { } x && after is { } y && SqlKeyComparer.Instance.Equals(x.Key, y.Key);
            if (before is { } removed && !sameKey)
            {
                tx.Write(removed.Key, null);
            }

            // An unchanged entry is written again: every key a prepared transaction locked must be among its writes,
            // because recovery retakes its locks from them, and a reader that found the row through this index
            // locked only the entry.
            if (after is { } added)
            {
                tx.Write(added.Key, added.Value);
            }
        }

        if (oldKey is not null && (newKey is null || !SqlKeyComparer.Instance.Equals(oldKey, newKey)))
        {
            tx.Write(oldKey, null);
        }

        if (newKey is not null)
        {
            tx.Write(newKey, RowCodec.EncodeRow(table, newValues));
        }
    }

    private ValueTask LockAsync(SqlTransaction tx, SqlKey key, CancellationToken cancellationToken) =>
        Locks.AcquireRangeAsync(tx.Locks, SqlLocks.Space(key.Table), SqlLocks.Point(key), LockMode.Exclusive, SqlLocks.Comparer, cancellationToken);
}
