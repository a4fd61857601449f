using System.Collections.Immutable;
using Cohort.Core;
using Cohort.Engines.Sql.Views;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;
using Cohort.Sql.Storage;
using Cohort.Storage.Locking;

namespace Cohort.Engines.Sql;

public sealed partial class SqlEngine
{
    // DDL writes catalog entries (and index entries or row deletions) into the transaction like any write, under an
    // exclusive lock on the table's catalog entry, which every statement using the table holds shared.
    private async ValueTask<Value> ExecuteDdlAsync(Statement statement, Value[] parameters, DateTime now, SqlTransaction tx, CancellationToken cancellationToken)
    {
        var view = new TransactionView(_store, tx);
        switch (statement)
        {
            case CreateTableStatement create:
            {
                await LockCatalogAsync(tx, create.Name, cancellationToken).ConfigureAwait(false);
                if (view.FindTable(create.Name) is not null)
                {
                    return create.IfNotExists ? Done() : throw SqlError.Type($"relation \"{create.Name}\" already exists");
                }

                var schema = TableSchema.Create(create);
                await LockNamesAsync(tx, schema.Indexes.Select(i => i.Name), cancellationToken).ConfigureAwait(false);
                CheckIndexNames(view, schema, schema.Indexes.Select(i => i.Name));
                tx.Write(SqlKey.Catalog(schema.Name), SchemaCache.Encode(schema));
                return Done();
            }

            case DropTableStatement drop:
            {
                // Every table is checked before any is dropped (the statement is atomic anyway: a failure rolls it back).
                var schemas = new List<TableSchema>();
                foreach (var name in drop.Names)
                {
                    await LockCatalogAsync(tx, name, cancellationToken).ConfigureAwait(false);
                    if (view.FindTable(name) is { } found)
                    {
                        schemas.Add(found);
                    }
                    else if (!drop.IfExists)
                    {
                        throw SqlError.Type($"table \"{name}\" does not exist");
                    }
                }

                foreach (var schema in schemas)
                {
                    foreach (var (key, _) in view.Scan(SqlKey.PrefixRange(SqlKeySpace.Rows, schema.Name, string.Empty, [])))
                    {
                        tx.Write(key, null);
                    }

                    foreach (var index in schema.Indexes)
                    {
                        DropIndexRange(view, tx, schema.Name, index.Name);
                    }

                    tx.Write(SqlKey.Catalog(schema.Name), null);
                }

                return Done();
            }

            case CreateIndexStatement create:
            {
                await LockCatalogAsync(tx, create.Table, cancellationToken).ConfigureAwait(false);
                var schema = view.FindTable(create.Table) ?? throw SqlError.Type($"relation \"{create.Table}\" does not exist");
                await LockNamesAsync(tx, [create.Name], cancellationToken).ConfigureAwait(false);
                if (view.Tables().Any(t => t.FindIndex(create.Name) is not null) || (!schema.HasRowId && schema.PrimaryKeyName == create.Name))
                {
                    return create.IfNotExists ? Done() : throw SqlError.Type($"relation \"{create.Name}\" already exists");
                }

                if (create.HasExpressions)
                {
                    CheckIndexExpressions(create, schema);
                }

                var altered = schema.AddIndex(create.Name, create.Columns, create.Unique);
                var index = altered.FindIndex(create.Name)!;
                var entries = new Dictionary<SqlKey, SqlKey>(SqlKeyComparer.Instance);
                foreach (var (rowKey, stored) in view.Scan(SqlKey.PrefixRange(SqlKeySpace.Rows, schema.Name, string.Empty, [])))
                {
                    var row = RowCodec.DecodeRow(altered, stored);
                    var entry = RowCodec.IndexEntry(altered, index, row, rowKey);
                    if (!entries.TryAdd(entry.Key, rowKey))
                    {
                        throw new CohortException(ErrorCodes.ConstraintViolation, $"could not create unique index \"{create.Name}\": Key ({string.Join(", ", index.Columns.Select(c => altered.Columns[c].Name))})=({string.Join(", ", index.Columns.Select(c => SqlSemantics.ToText(row[c])))}) is duplicated.", isTransient: false);
                    }

                    tx.Write(entry.Key, entry.Value);
                }

                tx.Write(SqlKey.Catalog(schema.Name), SchemaCache.Encode(altered));
                return Done();
            }

            case DropIndexStatement drop:
            {
                // Index names are unique across tables; find the table first, then lock it and look again.
                var owner = view.Tables().FirstOrDefault(t => t.FindIndex(drop.Name) is not null);
                if (owner is null)
                {
                    return drop.IfExists ? Done() : throw SqlError.Type($"index \"{drop.Name}\" does not exist");
                }

                await LockCatalogAsync(tx, owner.Name, cancellationToken).ConfigureAwait(false);
                var schema = view.FindTable(owner.Name);
                if (schema?.FindIndex(drop.Name) is null)
                {
                    return drop.IfExists ? Done() : throw SqlError.Type($"index \"{drop.Name}\" does not exist");
                }

                DropIndexRange(view, tx, schema.Name, drop.Name);
                tx.Write(SqlKey.Catalog(schema.Name), SchemaCache.Encode(schema.DropIndex(drop.Name)));
                return Done();
            }

            case AlterTableAddColumnStatement alter:
            {
                await LockCatalogAsync(tx, alter.Table, cancellationToken).ConfigureAwait(false);
                var schema = view.FindTable(alter.Table) ?? throw SqlError.Type($"relation \"{alter.Table}\" does not exist");
                if (schema.FindColumn(alter.Column.Name) >= 0 && alter.IfNotExists)
                {
                    return Done();
                }

                // Rows stored before the column existed read the default evaluated now (PostgreSQL's missing value),
                // once the default is known to be allowed (a subquery in it has nothing to run it).
                if (alter.Column.Default is { } check)
                {
                    TableSchema.CheckDefault(check);
                }

                var missing = alter.Column.Default is { } d
                    ? SqlSemantics.Assign(ExpressionCompiler.Compile(d, RowSchema.Empty).Evaluate([], new EvaluationContext(parameters, now)), alter.Column.Type, alter.Column.Name)
                    : Value.Null;
                var altered = schema.AddColumn(alter.Column, missing);
                var rows = view.Scan(SqlKey.PrefixRange(SqlKeySpace.Rows, schema.Name, string.Empty, []));
                if (alter.Column.NotNull && missing.IsNull && rows.Count > 0)
                {
                    throw new CohortException(ErrorCodes.ConstraintViolation, $"column \"{alter.Column.Name}\" of relation \"{schema.Name}\" contains null values", isTransient: false);
                }

                var added = altered.Indexes.Where(i => schema.FindIndex(i.Name) is null).ToList();
                await LockNamesAsync(tx, added.Select(i => i.Name), cancellationToken).ConfigureAwait(false);
                CheckIndexNames(view, altered, added.Select(i => i.Name));
                foreach (var index in added)
                {
                    // A new UNIQUE column holds one value (the missing value) in every existing row.
                    if (index.Unique && !missing.IsNull && rows.Count > 1)
                    {
                        throw new CohortException(ErrorCodes.ConstraintViolation, $"could not create unique index \"{index.Name}\": Key ({alter.Column.Name})=({SqlSemantics.ToText(missing)}) is duplicated.", isTransient: false);
                    }

                    foreach (var (rowKey, stored) in rows)
                    {
                        var entry = RowCodec.IndexEntry(altered, index, RowCodec.DecodeRow(altered, stored), rowKey);
                        tx.Write(entry.Key, entry.Value);
                    }
                }

                tx.Write(SqlKey.Catalog(schema.Name), SchemaCache.Encode(altered));
                return Done();
            }

            case AlterTableDropColumnStatement drop:
            {
                await LockCatalogAsync(tx, drop.Table, cancellationToken).ConfigureAwait(false);
                var schema = view.FindTable(drop.Table) ?? throw SqlError.Type($"relation \"{drop.Table}\" does not exist");
                if (schema.FindColumn(drop.Column) < 0 && drop.IfExists)
                {
                    return Done();
                }

                var altered = schema.DropColumn(drop.Column);
                var dropped = schema.FindColumn(drop.Column);
                foreach (var index in schema.Indexes.Where(i => altered.FindIndex(i.Name) is null))
                {
                    DropIndexRange(view, tx, schema.Name, index.Name);
                }

                // Every row is rewritten without the column, so a stored row always has its schema's columns.
                foreach (var (rowKey, stored) in view.Scan(SqlKey.PrefixRange(SqlKeySpace.Rows, schema.Name, string.Empty, [])))
                {
                    var row = RowCodec.DecodeRow(schema, stored);
                    tx.Write(rowKey, RowCodec.EncodeRow(altered, row.RemoveAt(dropped)));
                }

                tx.Write(SqlKey.Catalog(schema.Name), SchemaCache.Encode(altered));
                return Done();
            }

            case AlterTableRenameColumnStatement rename:
            {
                await LockCatalogAsync(tx, rename.Table, cancellationToken).ConfigureAwait(false);
                var schema = view.FindTable(rename.Table) ?? throw SqlError.Type($"relation \"{rename.Table}\" does not exist");
                tx.Write(SqlKey.Catalog(schema.Name), SchemaCache.Encode(schema.RenameColumn(rename.Column, rename.NewName)));
                return Done();
            }

            case AlterTableRenameStatement rename:
            {
                // Both names are locked, in one order, so no one creates the new name meanwhile and no deadlock forms.
                foreach (var name in new[] { rename.Table, rename.NewName }.Distinct().Order(StringComparer.Ordinal))
                {
                    await LockCatalogAsync(tx, name, cancellationToken).ConfigureAwait(false);
                }

                await LockNamesAsync(tx, [rename.NewName], cancellationToken).ConfigureAwait(false);
                var schema = view.FindTable(rename.Table) ?? throw SqlError.Type($"relation \"{rename.Table}\" does not exist");
                if (view.FindTable(rename.NewName) is not null || view.Tables().Any(t => t.FindIndex(rename.NewName) is not null || (!t.HasRowId && t.PrimaryKeyName == rename.NewName)))
                {
                    throw SqlError.Type($"relation \"{rename.NewName}\" already exists");
                }

                var renamed = schema.Rename(rename.NewName);

                // Rows and index entries are keyed by table name: each moves under the new one.
                foreach (var (key, stored) in view.Scan(SqlKey.PrefixRange(SqlKeySpace.Rows, schema.Name, string.Empty, [])))
                {
                    tx.Write(key, null);
                    tx.Write(SqlKey.Row(renamed.Name, key.Values), stored);
                }

                foreach (var index in schema.Indexes)
                {
                    foreach (var (key, entry) in view.Scan(SqlKey.PrefixRange(SqlKeySpace.Index, schema.Name, index.Name, [])))
                    {
                        tx.Write(key, null);
                        tx.Write(SqlKey.IndexEntry(renamed.Name, index.Name, key.Values), entry);
                    }
                }

                tx.Write(SqlKey.Catalog(schema.Name), null);
                tx.Write(SqlKey.Catalog(renamed.Name), SchemaCache.Encode(renamed));
                return Done();
            }

            default:
                throw new ArgumentException($"{statement.GetType().Name} is not DDL", nameof(statement));
        }
    }

    // An expression index is kept as an index on the columns its expressions read: always correct (its entries are the
    // rows' values), used for lookups on those columns, never for a lookup by the expression. PostgreSQL's rules for the
    // expressions apply; a UNIQUE one is refused, as its uniqueness would be the expression's, which this cannot enforce.
    private static void CheckIndexExpressions(CreateIndexStatement create, TableSchema schema)
    {
        if (create.Unique)
        {
            throw SqlError.Type("a UNIQUE index on an expression is not supported; index the columns, or add a column holding the expression");
        }

        foreach (var element in create.Elements.Where(e => e.Expression is not null))
        {
            foreach (var node in SyntaxTree.DescendantsAndSelf(element.Expression!))
            {
                switch (node)
                {
                    case SubqueryExpression or ExistsExpression or InSubqueryExpression:
                        throw SqlError.Type("cannot use subquery in index expression");
                    case FunctionCall call when ExpressionCompiler.AggregateNames.Contains(call.Name):
                        throw SqlError.Type("aggregate functions are not allowed in index expressions");
                    case FunctionCall call when call.Name is "now" or "random" or "gen_random_uuid" or "current_timestamp" or "current_date"
                        or "current_time" or "localtimestamp" or "localtime" or "age" or "statement_timestamp" or "transaction_timestamp":
                        throw SqlError.Type("functions in index expression must be marked IMMUTABLE");
                    case ParameterExpression:
                        throw SqlError.Type("there is no parameter in an index expression");
                }
            }

            ExpressionCompiler.Compile(element.Expression!, schema.ToRowSchema());
        }

        if (create.Columns.IsEmpty)
        {
            throw SqlError.Type("an index expression must read a column of the table");
        }
    }

    // Index names are unique across tables, but DDL locks only its own table's catalog entry: two transactions
    // creating one name on two tables would both find it free. Each takes the name exclusively before looking.
    private async ValueTask LockNamesAsync(SqlTransaction tx, IEnumerable<string> names, CancellationToken cancellationToken)
    {
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            await Locks.AcquireAsync(tx.Locks, SqlLocks.NameLock(name), LockMode.Exclusive, cancellationToken).ConfigureAwait(false);
        }
    }

    private ValueTask LockCatalogAsync(SqlTransaction tx, string table, CancellationToken cancellationToken) =>
        Locks.AcquireAsync(tx.Locks, SqlLocks.CatalogLock(table), LockMode.Exclusive, cancellationToken);

    private static void DropIndexRange(TransactionView view, SqlTransaction tx, string table, string index)
    {
        foreach (var (key, _) in view.Scan(SqlKey.PrefixRange(SqlKeySpace.Index, table, index, [])))
        {
            tx.Write(key, null);
        }
    }

    private static void CheckIndexNames(TransactionView view, TableSchema schema, IEnumerable<string> names)
    {
        var taken = view.Tables().Where(t => t.Name != schema.Name)
            .SelectMany(t => t.Indexes.Select(i => i.Name).Append(t.PrimaryKeyName))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (taken.Contains(name))
            {
                throw SqlError.Type($"relation \"{name}\" already exists");
            }
        }
    }

    private static Value Done() => Result([], [], 0);
}
