using System.Text;
using Cohort.Core;
using Cohort.Sql.Ast;

namespace Cohort.Sql.Parsing;

/// <summary>
/// A SQL text is not valid SQL. The message names the line, column and offending token, e.g.
/// <c>syntax error at line 2, column 15 near "FROM": expected an expression</c>.
/// </summary>
internal sealed class SqlSyntaxException : CohortException
{
    /// <summary>Creates the exception for a problem at <paramref name="position"/>.</summary>
    /// <param name="detail">What is wrong, e.g. <c>expected an expression</c>.</param>
    /// <param name="position">Where the problem is.</param>
    /// <param name="token">The offending token's text; null at the end of the input.</param>
    public SqlSyntaxException(string detail, SourcePosition position, string? token)
        : base(ErrorCodes.SqlSyntax, Format(detail, position, token), isTransient: false)
    {
        Detail = detail;
        Line = position.Line;
        Column = position.Column;
        Token = token;
    }

    /// <summary>What is wrong, without the position.</summary>
    public string Detail { get; }

    /// <summary>The 1-based line of the problem.</summary>
    public int Line { get; }

    /// <summary>The 1-based column of the problem.</summary>
    public int Column { get; }

    /// <summary>The offending token's text, or null when the problem is at the end of the input.</summary>
    public string? Token { get; }

    private static string Format(string detail, SourcePosition position, string? token) =>
        token is null
            ? $"syntax error at end of input: {detail}"
            : $"syntax error at line {position.Line}, column {position.Column} near \"{Display(token)}\": {detail}";

    private static string Display(string token)
    {
        const int MaxLength = 40;
        var builder = new StringBuilder();
        foreach (var c in token.Length > MaxLength ? token[..MaxLength] : token)
        {
            if (char.IsControl(c) || char.IsSurrogate(c))
            {
                builder.Append($"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        if (token.Length > MaxLength)
        {
            builder.Append('…');
        }

        return builder.ToString();
    }
}
