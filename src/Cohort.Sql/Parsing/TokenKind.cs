namespace Cohort.Sql.Parsing;

/// <summary>The kinds of SQL tokens.</summary>
internal enum TokenKind
{
    /// <summary>The end of the text.</summary>
    EndOfInput,

    /// <summary>An unquoted word that is not reserved; <see cref="Token.Name"/> is lower-cased. Also matches non-reserved keywords.</summary>
    Identifier,

    /// <summary>A reserved word (see <see cref="Lexer.IsReserved"/>); <see cref="Token.Name"/> is lower-cased.</summary>
    Keyword,

    /// <summary>A "double quoted" identifier; <see cref="Token.Name"/> is the exact, unescaped name.</summary>
    QuotedIdentifier,

    /// <summary>A 'string' literal; <see cref="Token.Name"/> is the unescaped content.</summary>
    String,

    /// <summary>A number literal; <see cref="Token.Literal"/> holds its value.</summary>
    Number,

    /// <summary>A <c>$n</c> parameter; <see cref="Token.ParameterIndex"/> holds n.</summary>
    Parameter,

    /// <summary>A <c>?</c> parameter.</summary>
    QuestionMark,

    /// <summary><c>(</c></summary>
    LeftParen,

    /// <summary><c>)</c></summary>
    RightParen,

    /// <summary><c>,</c></summary>
    Comma,

    /// <summary><c>.</c></summary>
    Dot,

    /// <summary><c>;</c></summary>
    Semicolon,

    /// <summary><c>*</c></summary>
    Star,

    /// <summary><c>+</c></summary>
    Plus,

    /// <summary><c>-</c></summary>
    Minus,

    /// <summary><c>/</c></summary>
    Slash,

    /// <summary><c>%</c></summary>
    Percent,

    /// <summary><c>||</c></summary>
    Concat,

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

    /// <summary><c>::</c></summary>
    DoubleColon,

    /// <summary><c>&amp;</c></summary>
    Ampersand,

    /// <summary><c>|</c> (a single bar; two are <see cref="Concat"/>).</summary>
    Bar,

    /// <summary><c>#</c></summary>
    Hash,

    /// <summary><c>~</c></summary>
    Tilde,

    /// <summary><c>&lt;&lt;</c></summary>
    ShiftLeft,

    /// <summary><c>&gt;&gt;</c></summary>
    ShiftRight,
}
