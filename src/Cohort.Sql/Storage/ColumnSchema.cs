using Cohort.Core;
using Cohort.Sql.Ast;

namespace Cohort.Sql.Storage;

/// <summary>One column of a <see cref="TableSchema"/>.</summary>
/// <param name="Name">The column name (normalized).</param>
/// <param name="Type">The declared type.</param>
/// <param name="NotNull">Whether NULL is rejected (primary-key columns always are).</param>
/// <param name="Default">The DEFAULT expression, or null (NULL).</param>
/// <param name="Unique">Whether the column was declared UNIQUE on its own (the constraint itself is a unique index).</param>
/// <param name="MissingValue">
/// What rows stored before the column existed read as: NULL for columns created with the table,
/// the default evaluated once at ALTER TABLE ADD COLUMN time otherwise (PostgreSQL's <c>attmissingval</c>).
/// </param>
internal sealed record ColumnSchema(
    string Name,
    SqlType Type,
    bool NotNull,
    Expression? Default,
    bool Unique,
    Value MissingValue);
