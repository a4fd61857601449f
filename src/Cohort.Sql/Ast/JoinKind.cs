namespace Cohort.Sql.Ast;

/// <summary>The kind of a join.</summary>
internal enum JoinKind
{
    /// <summary><c>[INNER] JOIN … ON …</c>.</summary>
    Inner,

    /// <summary><c>LEFT [OUTER] JOIN … ON …</c>.</summary>
    Left,

    /// <summary><c>CROSS JOIN</c> (no condition).</summary>
    Cross,

    /// <summary><c>RIGHT [OUTER] JOIN … ON …</c>.</summary>
    Right,

    /// <summary><c>FULL [OUTER] JOIN … ON …</c>.</summary>
    Full,
}
