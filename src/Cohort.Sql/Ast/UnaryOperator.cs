namespace Cohort.Sql.Ast;

/// <summary>A prefix operator.</summary>
internal enum UnaryOperator
{
    /// <summary>Arithmetic negation, <c>-x</c>.</summary>
    Negate,

    /// <summary>Unary plus, <c>+x</c>.</summary>
    Plus,

    /// <summary>Logical negation, <c>NOT x</c>.</summary>
    Not,

    /// <summary>Bitwise NOT, <c>~</c> (integers).</summary>
    BitNot,
}
