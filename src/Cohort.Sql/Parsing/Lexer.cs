using System.Collections.Frozen;
using System.Globalization;
using Cohort.Core;
using Cohort.Sql.Ast;

namespace Cohort.Sql.Parsing;

/// <summary>
/// Splits SQL text into tokens on demand. Skips whitespace, <c>-- line</c> and (nestable)
/// <c>/* block */</c> comments. Unquoted words are lower-cased; reserved words become
/// <see cref="TokenKind.Keyword"/>. Throws <see cref="SqlSyntaxException"/> for bad input.
/// </summary>
internal sealed class Lexer
{
    private static readonly FrozenSet<string> _reserved = FrozenSet.ToFrozenSet(
    [
        "all", "and", "as", "asc", "between", "by", "case", "cast", "check", "column", "constraint", "create",
        "cross", "default", "desc", "distinct", "do", "else", "end", "except", "exists", "false", "fetch", "for",
        "foreign", "from", "full", "group", "having", "in", "inner", "intersect", "into", "is", "join", "left",
        "like", "limit", "natural", "not", "null", "of", "offset", "on", "or", "order", "outer", "primary",
        "references", "returning", "right", "select", "set", "table", "then", "true", "union", "unique", "using",
        "values", "when", "where", "with",
    ]);

    // Non-reserved words the parser gives a meaning in some position; the printer quotes them as
    // names so printed SQL can never be misread.
    private static readonly FrozenSet<string> _contextual = FrozenSet.ToFrozenSet(
    [
        "add", "alter", "conflict", "delete", "drop", "escape", "explain", "first", "if", "index", "insert", "key",
        "last", "nothing", "nulls", "update",
    ]);

    private readonly string _text;
    private int _offset;
    private int _line = 1;
    private int _lineStart;

    /// <summary>Creates a lexer over <paramref name="text"/>.</summary>
    public Lexer(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _text = text;
    }

    /// <summary>Whether <paramref name="word"/> (lower case) is reserved and so cannot be an unquoted name.</summary>
    public static bool IsReserved(string word) => _reserved.Contains(word);

    /// <summary>Whether <paramref name="name"/> can be printed without double quotes and read back unchanged.</summary>
    public static bool IsPlainName(string name)
    {
        if (name.Length == 0 || _reserved.Contains(name) || _contextual.Contains(name) || !(name[0] is (>= 'a' and <= 'z') or '_'))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Reads the next token; at the end, returns <see cref="TokenKind.EndOfInput"/> tokens forever.</summary>
    public Token Next()
    {
        SkipTrivia();
        var start = _offset;
        var position = Here();
        if (_offset >= _text.Length)
        {
            return new Token(TokenKind.EndOfInput, "", position);
        }

        var c = _text[_offset];
        if (char.IsLetter(c) || c == '_')
        {
            return ReadWord(start, position);
        }

        if (char.IsAsciiDigit(c) || (c == '.' && char.IsAsciiDigit(Peek(1))))
        {
            return ReadNumber(start, position);
        }

        switch (c)
        {
            case '\'':
                return ReadString(start, position);
            case '"':
                return ReadQuotedIdentifier(start, position);
            case '$':
                return ReadParameter(start, position);
            case '?':
                return Simple(TokenKind.QuestionMark, 1, start, position);
            case '(':
                return Simple(TokenKind.LeftParen, 1, start, position);
            case ')':
                return Simple(TokenKind.RightParen, 1, start, position);
            case ',':
                return Simple(TokenKind.Comma, 1, start, position);
            case '.':
                return Simple(TokenKind.Dot, 1, start, position);
            case ';':
                return Simple(TokenKind.Semicolon, 1, start, position);
            case '*':
                return Simple(TokenKind.Star, 1, start, position);
            case '+':
                return Simple(TokenKind.Plus, 1, start, position);
            case '-':
                return Simple(TokenKind.Minus, 1, start, position);
            case '/':
                return Simple(TokenKind.Slash, 1, start, position);
            case '%':
                return Simple(TokenKind.Percent, 1, start, position);
            case '=':
                return Simple(TokenKind.Equal, 1, start, position);
            case '|' when Peek(1) == '|':
                return Simple(TokenKind.Concat, 2, start, position);
            case '|':
                return BitOperator(TokenKind.Bar, start, position);
            case '&':
                return BitOperator(TokenKind.Ampersand, start, position);
            case '#':
                return BitOperator(TokenKind.Hash, start, position);
            case '~':
                return BitOperator(TokenKind.Tilde, start, position);
            case '!' when Peek(1) == '=':
                return Simple(TokenKind.NotEqual, 2, start, position);
            case ':' when Peek(1) == ':':
                return Simple(TokenKind.DoubleColon, 2, start, position);
            case '<':
                return Peek(1) switch
                {
                    '=' => Simple(TokenKind.LessOrEqual, 2, start, position),
                    '>' => Simple(TokenKind.NotEqual, 2, start, position),
                    '<' => Simple(TokenKind.ShiftLeft, 2, start, position),
                    _ => Simple(TokenKind.Less, 1, start, position),
                };
            case '>':
                return Peek(1) switch
                {
                    '=' => Simple(TokenKind.GreaterOrEqual, 2, start, position),
                    '>' => Simple(TokenKind.ShiftRight, 2, start, position),
                    _ => Simple(TokenKind.Greater, 1, start, position),
                };
            default:
                var length = char.IsHighSurrogate(c) && char.IsLowSurrogate(Peek(1)) ? 2 : 1;
                throw new SqlSyntaxException("unexpected character", position, _text.Substring(start, length));
        }
    }

    private char Peek(int ahead) => _offset + ahead < _text.Length ? _text[_offset + ahead] : '\0';

    private SourcePosition Here() => new(_line, _offset - _lineStart + 1, _offset);

    // PostgreSQL reads a run of operator characters containing ~, &, | or # as one operator ("~-1" is the operator ~-
    // applied to 1), and there is no such longer operator: refuse it rather than read it as two.
    private Token BitOperator(TokenKind kind, int start, SourcePosition position)
    {
        if ("+-*/<>=~!@#%^&|`?".Contains(Peek(1), StringComparison.Ordinal) && Peek(1) != '\0')
        {
            var end = _offset + 1;
            while (end < _text.Length && "+-*/<>=~!@#%^&|`?".Contains(_text[end], StringComparison.Ordinal))
            {
                end++;
            }

            throw new SqlSyntaxException("operator does not exist", position, _text[start..end]);
        }

        return Simple(kind, 1, start, position);
    }

    private Token Simple(TokenKind kind, int length, int start, SourcePosition position)
    {
        _offset += length;
        return new Token(kind, _text.Substring(start, length), position);
    }

    // Moves past one character, keeping line and column right; "\r\n" counts as one line break.
    private void Advance()
    {
        var c = _text[_offset++];
        if (c == '\n' || (c == '\r' && (_offset >= _text.Length || _text[_offset] != '\n')))
        {
            _line++;
            _lineStart = _offset;
        }
    }

    private void SkipTrivia()
    {
        while (_offset < _text.Length)
        {
            var c = _text[_offset];
            if (char.IsWhiteSpace(c))
            {
                Advance();
            }
            else if (c == '-' && Peek(1) == '-')
            {
                while (_offset < _text.Length && _text[_offset] is not ('\n' or '\r'))
                {
                    _offset++;
                }
            }
            else if (c == '/' && Peek(1) == '*')
            {
                SkipBlockComment();
            }
            else
            {
                return;
            }
        }
    }

    private void SkipBlockComment()
    {
        var position = Here();
        var start = _offset;
        _offset += 2;
        var depth = 1;
        while (_offset < _text.Length)
        {
            if (_text[_offset] == '*' && Peek(1) == '/')
            {
                _offset += 2;
                if (--depth == 0)
                {
                    return;
                }
            }
            else if (_text[_offset] == '/' && Peek(1) == '*')
            {
                _offset += 2;
                depth++;
            }
            else
            {
                Advance();
            }
        }

        throw new SqlSyntaxException("unterminated /* comment", position, Excerpt(start));
    }

    private Token ReadWord(int start, SourcePosition position)
    {
        while (_offset < _text.Length && (char.IsLetterOrDigit(_text[_offset]) || _text[_offset] == '_'))
        {
            _offset++;
        }

        var text = _text[start.._offset];
        var name = text.ToLowerInvariant();
        return new Token(_reserved.Contains(name) ? TokenKind.Keyword : TokenKind.Identifier, text, position) { Name = name };
    }

    private Token ReadNumber(int start, SourcePosition position)
    {
        var isDecimal = false;
        var isFloat = false;
        SkipDigits();
        if (_offset < _text.Length && _text[_offset] == '.')
        {
            isDecimal = true;
            _offset++;
            SkipDigits();
        }

        if (_offset < _text.Length && _text[_offset] is 'e' or 'E')
        {
            var digitsAt = _offset + 1 + (Peek(1) is '+' or '-' ? 1 : 0);
            if (digitsAt < _text.Length && char.IsAsciiDigit(_text[digitsAt]))
            {
                isFloat = true;
                _offset = digitsAt;
                SkipDigits();
            }
        }

        if (_offset < _text.Length && (char.IsLetterOrDigit(_text[_offset]) || _text[_offset] is '_' or '.'))
        {
            while (_offset < _text.Length && (char.IsLetterOrDigit(_text[_offset]) || _text[_offset] is '_' or '.'))
            {
                _offset++;
            }

            throw new SqlSyntaxException("trailing junk after numeric literal", position, _text[start.._offset]);
        }

        var text = _text[start.._offset];
        Value value;
        if (isFloat)
        {
            var d = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (!double.IsFinite(d))
            {
                throw new SqlSyntaxException("number out of range", position, text);
            }

            value = d;
        }
        else if (!isDecimal && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var l))
        {
            value = l;
        }
        else if (decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var m))
        {
            value = m;
        }
        else
        {
            throw new SqlSyntaxException("number out of range", position, text);
        }

        return new Token(TokenKind.Number, text, position) { Literal = value };
    }

    private void SkipDigits()
    {
        while (_offset < _text.Length && char.IsAsciiDigit(_text[_offset]))
        {
            _offset++;
        }
    }

    private Token ReadString(int start, SourcePosition position)
    {
        var content = ReadDelimited('\'', start, position, "unterminated string literal");
        return new Token(TokenKind.String, _text[start.._offset], position) { Name = content };
    }

    private Token ReadQuotedIdentifier(int start, SourcePosition position)
    {
        var content = ReadDelimited('"', start, position, "unterminated quoted identifier");
        if (content.Length == 0)
        {
            throw new SqlSyntaxException("zero-length quoted identifier", position, _text[start.._offset]);
        }

        return new Token(TokenKind.QuotedIdentifier, _text[start.._offset], position) { Name = content };
    }

    // Reads from an opening quote to its closing quote; a doubled quote stands for one.
    private string ReadDelimited(char quote, int start, SourcePosition position, string unterminated)
    {
        _offset++;
        var builder = new System.Text.StringBuilder();
        while (true)
        {
            if (_offset >= _text.Length)
            {
                throw new SqlSyntaxException(unterminated, position, Excerpt(start));
            }

            var c = _text[_offset];
            if (c == quote)
            {
                if (Peek(1) != quote)
                {
                    _offset++;
                    return builder.ToString();
                }

                builder.Append(quote);
                _offset += 2;
            }
            else
            {
                builder.Append(c);
                Advance();
            }
        }
    }

    private Token ReadParameter(int start, SourcePosition position)
    {
        _offset++;
        SkipDigits();
        var digits = _text[(start + 1).._offset];
        if (digits.Length == 0)
        {
            throw new SqlSyntaxException("expected a parameter number after $", position, "$");
        }

        if (_offset < _text.Length && (char.IsLetter(_text[_offset]) || _text[_offset] == '_'))
        {
            throw new SqlSyntaxException("trailing junk after parameter", position, _text[start..(_offset + 1)]);
        }

        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index < 1 || index > Parser.MaxParameters)
        {
            throw new SqlSyntaxException($"parameter number must be between 1 and {Parser.MaxParameters}", position, _text[start.._offset]);
        }

        return new Token(TokenKind.Parameter, _text[start.._offset], position) { ParameterIndex = index };
    }

    private string Excerpt(int start) => _text.Length - start > 40 ? _text.Substring(start, 40) : _text[start..];
}
