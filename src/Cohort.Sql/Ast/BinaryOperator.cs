namespace Cohort.Sql.Ast;

/// <summary>An infix operator.</summary>
internal enum BinaryOperator
{
    /// <summary><c>+</c></summary>
    Add,

    /// <summary><c>-</c></summary>
    Subtract,

    /// <summary><c>*</c></summary>
    Multiply,

    /// <summary><c>/</c></summary>
    Divide,

    /// <summary><c>%</c></summary>
    Modulo,

    /// <summary>String concatenation, <c>||</c>.</summary>
    Concat,

    /// <summary>Bitwise AND, <c>&amp;</c> (integers).</summary>
    BitAnd,

    /// <summary>Bitwise OR, <c>|</c> (integers).</summary>
    BitOr,

    /// <summary>Bitwise exclusive OR, <c>#</c> (integers).</summary>
    BitXor,

    /// <summary>Shift left, <c>&lt;&lt;</c> (integers; the bits shifted out are lost, as in PostgreSQL).</summary>
    ShiftLeft,

    /// <summary>Arithmetic shift right, <c>&gt;&gt;</c> (integers).</summary>
    ShiftRight,

    /// <summary><c>=</c></summary>
    Equal,

    /// <summary><c>&lt;&gt;</c> or <c>!=</c></summary>
    NotEqual,

    /// <summary><c>&lt;</c></summary>
    Less,

    /// <summary><c>&lt;=</c></summary>
    LessOrEqual,

    /// <summary><c>&gt;</c></summary>
    Greater,

    /// <summary><c>&gt;=</c></summary>
    GreaterOrEqual,

    /// <summary><c>AND</c></summary>
    And,

    /// <summary><c>OR</c></summary>
    Or,

    /// <summary><c>IS DISTINCT FROM</c>: not equal, with NULL a value like any other (never NULL).</summary>
    IsDistinctFrom,

    /// <summary><c>IS NOT DISTINCT FROM</c>: equal, with NULL a value like any other (never NULL).</summary>
    IsNotDistinctFrom,
}
