namespace Cohort.Sql.Ast;

/// <summary>A column in CREATE TABLE or ALTER TABLE ADD COLUMN: <c>name type [NOT NULL] [PRIMARY KEY] [UNIQUE] [DEFAULT e]</c>. Column constraint names are accepted and dropped.</summary>
/// <param name="Name">The column name (normalized).</param>
/// <param name="Type">The type.</param>
/// <param name="NotNull">Whether NOT NULL was given (PRIMARY KEY does not set it).</param>
/// <param name="PrimaryKey">Whether the column is declared PRIMARY KEY.</param>
/// <param name="Unique">Whether the column is declared UNIQUE.</param>
/// <param name="Default">The DEFAULT expression, or null.</param>
internal sealed record ColumnDefinition(
    string Name,
    SqlType Type,
    bool NotNull,
    bool PrimaryKey,
    bool Unique,
    Expression? Default) : SqlNode;
