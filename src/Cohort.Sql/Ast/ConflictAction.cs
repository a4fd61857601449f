namespace Cohort.Sql.Ast;

/// <summary>What ON CONFLICT does.</summary>
internal enum ConflictAction
{
    /// <summary>DO NOTHING.</summary>
    DoNothing,

    /// <summary>DO UPDATE SET ….</summary>
    DoUpdate,
}
