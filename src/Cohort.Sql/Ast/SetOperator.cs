namespace Cohort.Sql.Ast;

/// <summary>The set operations between queries.</summary>
internal enum SetOperator
{
    /// <summary>UNION: the rows of either side.</summary>
    Union,

    /// <summary>INTERSECT: the rows of both sides (binds tighter than UNION and EXCEPT).</summary>
    Intersect,

    /// <summary>EXCEPT: the rows of the left side that are not on the right.</summary>
    Except,
}
