namespace Cohort.Sql.Ast;

/// <summary>The kind of a table constraint.</summary>
internal enum TableConstraintKind
{
    /// <summary>PRIMARY KEY (cols).</summary>
    PrimaryKey,

    /// <summary>UNIQUE (cols).</summary>
    Unique,
}
