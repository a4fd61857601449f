namespace Cohort.Engines.Sql.Execution;

/// <summary>Set by the expression compiler when an expression reads a column of an enclosing query.</summary>
internal sealed class OuterUsage
{
    /// <summary>Whether some compiled expression read an outer column.</summary>
    public bool IsUsed { get; private set; }

    /// <summary>Records an outer column reference.</summary>
    public void Mark() => IsUsed = true;
}
