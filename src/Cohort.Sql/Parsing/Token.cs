using Cohort.Core;
using Cohort.Sql.Ast;

namespace Cohort.Sql.Parsing;

/// <summary>A lexical token.</summary>
/// <param name="Kind">The kind.</param>
/// <param name="Text">The source text of the token, exactly as written (empty at end of input).</param>
/// <param name="Position">Where the token starts.</param>
internal readonly record struct Token(TokenKind Kind, string Text, SourcePosition Position)
{
    /// <summary>For words: the normalized name; for strings: the unescaped content; otherwise empty.</summary>
    public string Name { get; init; } = "";

    /// <summary>For numbers: the value.</summary>
    public Value Literal { get; init; }

    /// <summary>For <c>$n</c>: n.</summary>
    public int ParameterIndex { get; init; }

    /// <summary>Whether this is the reserved or non-reserved keyword <paramref name="word"/> (lower case), never a quoted identifier.</summary>
    public bool IsWord(string word) => Kind is TokenKind.Keyword or TokenKind.Identifier && Name == word;
}
