namespace Cohort.Sql.Ast;

/// <summary>A place in SQL source text: 1-based line and column (in UTF-16 code units) and the 0-based offset.</summary>
/// <param name="Line">The 1-based line.</param>
/// <param name="Column">The 1-based column.</param>
/// <param name="Offset">The 0-based character offset from the start of the text.</param>
internal readonly record struct SourcePosition(int Line, int Column, int Offset)
{
    /// <summary>Formats as <c>line L, column C</c>.</summary>
    public override string ToString() => $"line {Line}, column {Column}";
}
