namespace Cohort.Sql.Execution;

/// <summary>The outcome of looking a column reference up in one <see cref="RowSchema"/>.</summary>
internal enum ColumnLookup
{
    /// <summary>Exactly one column matches.</summary>
    Found,

    /// <summary>No column has the name (for a qualified name: the table is known but lacks the column).</summary>
    NotFound,

    /// <summary>More than one column matches.</summary>
    Ambiguous,

    /// <summary>The qualifier names no table of the schema.</summary>
    UnknownTable,
}
