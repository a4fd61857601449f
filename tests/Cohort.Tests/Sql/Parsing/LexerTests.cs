using Cohort.Sql.Parsing;

namespace Cohort.Tests.Sql.Parsing;

public sealed class LexerTests
{
    private static List<Token> Lex(string sql)
    {
        var lexer = new Lexer(sql);
        var tokens = new List<Token>();
        while (true)
        {
            var token = lexer.Next();
            if (token.Kind == TokenKind.EndOfInput)
            {
                return tokens;
            }

            tokens.Add(token);
        }
    }

    [Fact]
    public void Next_Words_LowerCasesUnquotedAndMarksReservedWords()
    {
        var tokens = Lex("SeLeCt Name \"MixedCase\" \"a\"\"b\" _x1 über");

        Assert.Equal([TokenKind.Keyword, TokenKind.Identifier, TokenKind.QuotedIdentifier, TokenKind.QuotedIdentifier, TokenKind.Identifier, TokenKind.Identifier], tokens.Select(t => t.Kind));
        Assert.Equal(["select", "name", "MixedCase", "a\"b", "_x1", "über"], tokens.Select(t => t.Name));
        Assert.Equal("SeLeCt", tokens[0].Text);
        Assert.True(tokens[0].IsWord("select"));
        Assert.False(Lex("\"select\"")[0].IsWord("select"));
    }

    [Fact]
    public void Next_Numbers_ProduceInt64DecimalKeepingScaleAndDouble()
    {
        var tokens = Lex("42 1.50 .5 1. 1e3 2.5E-2 9223372036854775807 9223372036854775808");

        Assert.All(tokens, t => Assert.Equal(TokenKind.Number, t.Kind));
        Assert.Equal(Value.From(42L), tokens[0].Literal);
        Assert.Equal(Value.From(1.50m), tokens[1].Literal);
        Assert.Equal(2, tokens[1].Literal.AsDecimal().Scale);
        Assert.Equal(Value.From(0.5m), tokens[2].Literal);
        Assert.Equal(Value.From(1m), tokens[3].Literal);
        Assert.Equal(Value.From(1000.0), tokens[4].Literal);
        Assert.Equal(Value.From(0.025), tokens[5].Literal);
        Assert.Equal(Value.From(long.MaxValue), tokens[6].Literal);
        Assert.Equal(Value.From(9223372036854775808m), tokens[7].Literal);
    }

    [Fact]
    public void Next_StringsAndOperators_UnescapeDoubledQuotesAndRecognizeEveryOperator()
    {
        var tokens = Lex("'it''s' '' '\nline' ( ) , . ; * + - / % || = <> != < <= > >= :: ? $12");

        Assert.Equal("it's", tokens[0].Name);
        Assert.Equal("", tokens[1].Name);
        Assert.Equal("\nline", tokens[2].Name);
        Assert.Equal(
            [TokenKind.LeftParen, TokenKind.RightParen, TokenKind.Comma, TokenKind.Dot, TokenKind.Semicolon, TokenKind.Star, TokenKind.Plus,
             TokenKind.Minus, TokenKind.Slash, TokenKind.Percent, TokenKind.Concat, TokenKind.Equal, TokenKind.NotEqual, TokenKind.NotEqual,
             TokenKind.Less, TokenKind.LessOrEqual, TokenKind.Greater, TokenKind.GreaterOrEqual, TokenKind.DoubleColon, TokenKind.QuestionMark,
             TokenKind.Parameter],
            tokens.Skip(3).Select(t => t.Kind));
        Assert.Equal(12, tokens[^1].ParameterIndex);
    }

    [Fact]
    public void Next_Comments_AreSkippedIncludingNestedBlockComments()
    {
        var tokens = Lex("a -- line comment\n/* block /* nested */ still */ b--end");

        Assert.Equal(["a", "b"], tokens.Select(t => t.Name));
    }

    [Fact]
    public void Next_Positions_AreOneBasedLineAndColumnAcrossLineBreaksAndComments()
    {
        var tokens = Lex("a\r\n  /* x\n y */ bb\n\tc");

        Assert.Equal((1, 1), (tokens[0].Position.Line, tokens[0].Position.Column));
        Assert.Equal((3, 7), (tokens[1].Position.Line, tokens[1].Position.Column));
        Assert.Equal((4, 2), (tokens[2].Position.Line, tokens[2].Position.Column));
        Assert.Equal(20, tokens[2].Position.Offset);
    }

    [Theory]
    [InlineData("SELECT 'abc", 1, 8, "'abc", "unterminated string literal")]
    [InlineData("SELECT\n  \"abc", 2, 3, "\"abc", "unterminated quoted identifier")]
    [InlineData("SELECT 1 /* open /* nested */", 1, 10, "/* open /* nested */", "unterminated /* comment")]
    [InlineData("SELECT 12abc", 1, 8, "12abc", "trailing junk after numeric literal")]
    [InlineData("SELECT 1e", 1, 8, "1e", "trailing junk after numeric literal")]
    [InlineData("SELECT 1.2.3", 1, 8, "1.2.3", "trailing junk after numeric literal")]
    [InlineData("SELECT 1e999", 1, 8, "1e999", "number out of range")]
    [InlineData("SELECT 99999999999999999999999999999999", 1, 8, "99999999999999999999999999999999", "number out of range")]
    [InlineData("SELECT ^", 1, 8, "^", "unexpected character")]
    [InlineData("SELECT a ` b", 1, 10, "`", "unexpected character")]
    [InlineData("SELECT ~-1", 1, 8, "~-", "operator does not exist")]
    [InlineData("SELECT 1 &| 2", 1, 10, "&|", "operator does not exist")]
    [InlineData("SELECT $", 1, 8, "$", "expected a parameter number after $")]
    [InlineData("SELECT $0", 1, 8, "$0", "parameter number must be between 1 and 65535")]
    [InlineData("SELECT $99999999999", 1, 8, "$99999999999", "parameter number must be between 1 and 65535")]
    [InlineData("SELECT \"\"", 1, 8, "\"\"", "zero-length quoted identifier")]
    public void Next_BadInput_ThrowsSyntaxErrorAtTheToken(string sql, int line, int column, string token, string detail)
    {
        var ex = SqlAssert.Fails(sql);

        Assert.Equal((line, column, token, detail), (ex.Line, ex.Column, ex.Token, ex.Detail));
        Assert.StartsWith($"syntax error at line {line}, column {column} near ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Next_ControlCharacter_IsEscapedInTheMessage()
    {
        var ex = SqlAssert.Fails("SELECT \u0001");

        Assert.Equal("syntax error at line 1, column 8 near \"\\u0001\": unexpected character", ex.Message);
    }
}
