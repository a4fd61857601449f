namespace Cohort.Sql.Ast;

/// <summary>Where ORDER BY puts nulls.</summary>
internal enum NullsOrder
{
    /// <summary>Not specified (PostgreSQL: last for ASC, first for DESC).</summary>
    Default,

    /// <summary>NULLS FIRST.</summary>
    First,

    /// <summary>NULLS LAST.</summary>
    Last,
}
