using System.Collections.Immutable;
using Cohort.Core;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Storage;

/// <summary>
/// The immutable description of one table: columns, primary key and secondary indexes. DDL produces a
/// new schema; the catalog stores it as a <see cref="Value"/> (<see cref="ToValue"/>) under
/// <see cref="SqlKey.Catalog"/>, so DDL commits, aborts and is logged like any other write.
/// </summary>
/// <remarks>
/// <para><b>Row ids.</b> A table without a declared primary key (<see cref="HasRowId"/>) is keyed by a
/// hidden BIGINT row id, which is not a column. Row ids are handed out by the engine from a per-table
/// in-memory counter that starts, when the resource opens, after the highest row id present in the
/// store (committed or prepared; the row space of a table ends with its highest row id, so this is
/// one backwards look). Like a PostgreSQL sequence the counter is not transactional (an aborted insert
/// leaves a gap) so concurrent inserts never conflict on it; a counter kept in the catalog would
/// serialize every insert into the table. Replay is deterministic because the chosen row id is part of
/// the key written to the log; nothing is re-derived on recovery.</para>
/// <para><b>ADD COLUMN.</b> The column is appended. Rows written earlier are shorter and read as
/// the column's <see cref="ColumnSchema.MissingValue"/>: NULL, or the DEFAULT evaluated once by the
/// engine when the column is added (as PostgreSQL 11+ does), so existing rows are never rewritten.</para>
/// </remarks>
internal sealed partial class TableSchema
{
    /// <summary>Largest DECIMAL precision the storage can hold exactly (.NET <see cref="decimal"/>).</summary>
    public const int MaxDecimalPrecision = 28;

    /// <summary>Largest VARCHAR length accepted (PostgreSQL's limit).</summary>
    public const int MaxVarcharLength = 10_485_760;

    private TableSchema(string name, ImmutableArray<ColumnSchema> columns, ImmutableArray<int> primaryKey, ImmutableArray<IndexSchema> indexes)
    {
        Name = name;
        Columns = columns;
        PrimaryKey = primaryKey;
        Indexes = indexes;
    }

    /// <summary>The table name (normalized).</summary>
    public string Name { get; }

    /// <summary>The columns in storage order.</summary>
    public ImmutableArray<ColumnSchema> Columns { get; }

    /// <summary>The primary-key columns (indexes into <see cref="Columns"/>) in key order; empty when the table is keyed by a hidden row id.</summary>
    public ImmutableArray<int> PrimaryKey { get; }

    /// <summary>The secondary indexes, in creation order.</summary>
    public ImmutableArray<IndexSchema> Indexes { get; }

    /// <summary>Whether rows are keyed by a hidden row id (no declared primary key).</summary>
    public bool HasRowId => PrimaryKey.IsEmpty;

    /// <summary>Builds the schema of a new table, validating it as PostgreSQL does.</summary>
    /// <exception cref="CohortException"><c>bad_operation</c> with PostgreSQL's message.</exception>
    public static TableSchema Create(CreateTableStatement statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        var columns = ImmutableArray.CreateBuilder<ColumnSchema>(statement.Columns.Length);
        foreach (var column in statement.Columns)
        {
            if (columns.Any(c => c.Name == column.Name))
            {
                throw Error($"column \"{column.Name}\" specified more than once");
            }

            CheckColumn(column);
            columns.Add(new ColumnSchema(column.Name, column.Type, column.NotNull, column.Default, column.Unique, Value.Null));
        }

        var names = columns.Select(c => c.Name).ToList();
        ImmutableArray<int>? primaryKey = null;

        // Column UNIQUE first, then table UNIQUE constraints (PostgreSQL processes column constraints
        // first, so which primary key is reported as the second one does not depend on layout).
        var uniques = new List<(ImmutableArray<int> Columns, string? Name)>();
        foreach (var (i, column) in statement.Columns.Index())
        {
            if (column.PrimaryKey)
            {
                primaryKey = SetPrimaryKey(statement.Name, primaryKey, [i]);
            }

            if (column.Unique)
            {
                uniques.Add(([i], null));
            }
        }

        foreach (var constraint in statement.Constraints)
        {
            var isPrimary = constraint.Kind == TableConstraintKind.PrimaryKey;
            var keyColumns = ResolveKey(names, constraint.Columns, isPrimary ? "primary key" : "unique");
            if (isPrimary)
            {
                primaryKey = SetPrimaryKey(statement.Name, primaryKey, keyColumns);
            }
            else
            {
                uniques.Add((keyColumns, constraint.Name));
            }
        }

        var pk = primaryKey ?? [];
        foreach (var i in pk)
        {
            columns[i] = columns[i] with { NotNull = true };
        }

        var schema = new TableSchema(statement.Name, columns.ToImmutable(), pk, []);
        foreach (var (keyColumns, name) in uniques)
        {
            // A unique constraint repeating the primary key or an earlier unique one adds nothing to enforce.
            if (keyColumns.SequenceEqual(pk) || schema.Indexes.Any(x => x.Columns.SequenceEqual(keyColumns)))
            {
                continue;
            }

            schema = schema.AddIndex(name ?? schema.GenerateIndexName(keyColumns), keyColumns, unique: true);
        }

        return schema;
    }

    /// <summary>The index of column <paramref name="name"/>, or -1.</summary>
    public int FindColumn(string name)
    {
        for (var i = 0; i < Columns.Length; i++)
        {
            if (Columns[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The index named <paramref name="name"/>, or null.</summary>
    public IndexSchema? FindIndex(string name) => Indexes.FirstOrDefault(i => i.Name == name);

    /// <summary>
    /// ALTER TABLE ADD COLUMN: the schema with <paramref name="column"/> appended. Existing rows read it as
    /// <paramref name="missingValue"/>, which the engine computes from the DEFAULT (NULL without one). A UNIQUE
    /// column also gets a unique index (which the engine fills); PRIMARY KEY cannot be added this way.
    /// </summary>
    public TableSchema AddColumn(ColumnDefinition column, Value missingValue = default)
    {
        ArgumentNullException.ThrowIfNull(column);
        if (FindColumn(column.Name) >= 0)
        {
            throw Error($"column \"{column.Name}\" of relation \"{Name}\" already exists");
        }

        if (column.PrimaryKey)
        {
            throw HasRowId
                ? Error($"cannot add primary key column \"{column.Name}\" to table \"{Name}\" with ALTER TABLE ADD COLUMN")
                : Error($"multiple primary keys for table \"{Name}\" are not allowed");
        }

        // NOT NULL without a default on a table with rows ("contains null values") is the engine's
        // check: only it knows whether the table is empty.
        CheckColumn(column);
        var added = new ColumnSchema(column.Name, column.Type, column.NotNull, column.Default, column.Unique, missingValue);
        var schema = new TableSchema(Name, Columns.Add(added), PrimaryKey, Indexes);
        if (column.Unique)
        {
            ImmutableArray<int> key = [Columns.Length];
            schema = schema.AddIndex(schema.GenerateIndexName(key), key, unique: true);
        }

        return schema;
    }

    /// <summary>CREATE INDEX: the schema with a new index on the named columns.</summary>
    public TableSchema AddIndex(string name, ImmutableArray<string> columns, bool unique)
    {
        ArgumentNullException.ThrowIfNull(name);
        var names = Columns.Select(c => c.Name).ToList();
        var keyColumns = ImmutableArray.CreateBuilder<int>(columns.Length);
        foreach (var column in columns)
        {
            var i = names.IndexOf(column);
            keyColumns.Add(i >= 0 ? i : throw Error($"column \"{column}\" does not exist"));
        }

        return AddIndex(name, keyColumns.ToImmutable(), unique);
    }

    /// <summary>CREATE INDEX: the schema with a new index on the given column indexes.</summary>
    public TableSchema AddIndex(string name, ImmutableArray<int> columns, bool unique)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (FindIndex(name) is not null || name == PrimaryKeyName)
        {
            throw Error($"relation \"{name}\" already exists");
        }

        if (columns.IsDefaultOrEmpty || columns.Any(c => c < 0 || c >= Columns.Length))
        {
            throw new ArgumentOutOfRangeException(nameof(columns), "An index needs at least one existing column.");
        }

        return new TableSchema(Name, Columns, PrimaryKey, Indexes.Add(new IndexSchema(name, columns, unique)));
    }

    /// <summary>DROP INDEX: the schema without index <paramref name="name"/>.</summary>
    public TableSchema DropIndex(string name)
    {
        var index = FindIndex(name) ?? throw Error($"index \"{name}\" does not exist");
        return new TableSchema(Name, Columns, PrimaryKey, Indexes.Remove(index));
    }

    /// <summary>The name PostgreSQL gives the primary key index, <c>table_pkey</c> (reserved: no secondary index may use it).</summary>
    public string PrimaryKeyName => Name + "_pkey";

    /// <summary>The column list of the table as an expression-compiler row schema.</summary>
    public RowSchema ToRowSchema(string? alias = null) =>
        RowSchema.ForTable(alias ?? Name, Columns.Select(c => (c.Name, (SqlType?)c.Type)));

    private string GenerateIndexName(ImmutableArray<int> columns)
    {
        // PostgreSQL: table_col1_col2_key, then key1, key2, ... until the name is free.
        var stem = Name + "_" + string.Join("_", columns.Select(c => Columns[c].Name)) + "_key";
        var name = stem;
        for (var n = 1; FindIndex(name) is not null || name == PrimaryKeyName; n++)
        {
            name = stem[..^3] + "key" + n;
        }

        return name;
    }

    private static ImmutableArray<int> SetPrimaryKey(string table, ImmutableArray<int>? existing, ImmutableArray<int> columns) =>
        existing is null ? columns : throw Error($"multiple primary keys for table \"{table}\" are not allowed");

    private static ImmutableArray<int> ResolveKey(List<string> names, ImmutableArray<string> columns, string kind)
    {
        var result = ImmutableArray.CreateBuilder<int>(columns.Length);
        foreach (var column in columns)
        {
            var i = names.IndexOf(column);
            if (i < 0)
            {
                throw Error($"column \"{column}\" named in key does not exist");
            }

            if (result.Contains(i))
            {
                throw Error($"column \"{column}\" appears twice in {kind} constraint");
            }

            result.Add(i);
        }

        return result.ToImmutable();
    }

    /// <summary>
    /// Checks a DEFAULT expression by PostgreSQL's rules: a constant expression — no parameters (which would bind to the
    /// INSERT's own), no column references, no subqueries, no aggregates — whose functions exist and take its argument types.
    /// </summary>
    /// <exception cref="CohortException">The expression breaks a rule.</exception>
    public static void CheckDefault(Expression expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        foreach (var node in SyntaxTree.DescendantsAndSelf(expression))
        {
            var problem = node switch
            {
                ParameterExpression parameter => $"cannot use parameter ${parameter.Index} in DEFAULT expression",
                ColumnReference reference => $"cannot use column reference \"{reference.Column}\" in DEFAULT expression",
                SubqueryExpression or ExistsExpression or InSubqueryExpression => "cannot use subquery in DEFAULT expression",
                FunctionCall call when ExpressionCompiler.AggregateNames.Contains(call.Name) => "aggregate functions are not allowed in DEFAULT expressions",
                _ => null,
            };
            if (problem is not null)
            {
                throw Error(problem);
            }
        }

        // Binding finds an unknown function or a wrong argument type now, not on every INSERT.
        ExpressionCompiler.Compile(expression, RowSchema.Empty);
    }

    private static void CheckColumn(ColumnDefinition column)
    {
        if (column.Default is { } defaultExpression)
        {
            CheckDefault(defaultExpression);
        }

        var type = column.Type;
        switch (type.Kind)
        {
            case SqlTypeKind.Decimal when type.Precision is { } p:
                if (p is < 1 or > MaxDecimalPrecision)
                {
                    throw Error($"NUMERIC precision {p} must be between 1 and {MaxDecimalPrecision}");
                }

                if (type.Scale is { } s && (s < 0 || s > p))
                {
                    throw Error($"NUMERIC scale {s} must be between 0 and precision {p}");
                }

                break;
            case SqlTypeKind.Decimal when type.Scale is not null:
                throw Error("NUMERIC scale needs a precision");
            case SqlTypeKind.Varchar when type.Length is { } n:
                if (n < 1)
                {
                    throw Error("length for type varchar must be at least 1");
                }

                if (n > MaxVarcharLength)
                {
                    throw Error($"length for type varchar cannot exceed {MaxVarcharLength}");
                }

                break;
        }

        // A constant default must fit the column; other expressions are checked when evaluated.
        if (column.Default is LiteralExpression { Value: var value } && !value.IsNull)
        {
            try
            {
                SqlSemantics.Assign(value, type, column.Name);
            }
            catch (CohortException)
            {
                throw Error($"column \"{column.Name}\" is of type {type} but default expression is of type {SqlSemantics.TypeName(value)}");
            }
        }
    }

    private static CohortException Error(string message) => new(ErrorCodes.BadOperation, message, isTransient: false);
}
