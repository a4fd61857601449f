using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Cohort.Sql.Ast;

namespace Cohort.Sql.Parsing;

/// <summary>
/// A recursive-descent parser from SQL text to the syntax tree in <see cref="Cohort.Sql.Ast"/>.
/// Every failure, whatever the input, is a <see cref="SqlSyntaxException"/> naming line, column and token.
/// </summary>
/// <remarks>
/// Operator precedence follows PostgreSQL, lowest first: OR; AND; NOT; IS [NOT] NULL; comparisons
/// (non-associative); BETWEEN, IN, LIKE (non-associative); <c>||</c>; <c>+ -</c>; <c>* / %</c>; unary
/// <c>+ -</c>; <c>::</c>. Parentheses and subqueries may nest <see cref="MaxNestingDepth"/> deep, and no
/// tree is deeper than <see cref="MaxTreeDepth"/>, so later recursive passes cannot overflow the stack.
/// Parameters are numbered per statement; one statement uses either <c>$n</c> or <c>?</c>, not both.
/// </remarks>
internal sealed partial class Parser
{
    /// <summary>How deep parentheses, subqueries, function calls and prefix operators may nest.</summary>
    public const int MaxNestingDepth = 200;

    /// <summary>How deep a statement's tree may be (long AND/OR chains count one level per operator).</summary>
    public const int MaxTreeDepth = 1000;

    /// <summary>The highest parameter number.</summary>
    public const int MaxParameters = 65535;

    private readonly Lexer _lexer;
    private readonly List<Token> _tokens = [];
    private int _index;
    private int _nesting;
    private char _parameterStyle;
    private int _questionMarks;
    private int _maxParameter;

    private Parser(string sql)
    {
        _lexer = new Lexer(sql);
    }

    /// <summary>Parses exactly one statement (an optional trailing <c>;</c> is allowed).</summary>
    /// <exception cref="SqlSyntaxException">The text is not exactly one valid statement.</exception>
    public static Statement Parse(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var parser = new Parser(sql);
        return parser.Guard(() =>
        {
            parser.SkipSemicolons();
            if (parser.Current.Kind == TokenKind.EndOfInput)
            {
                throw parser.Error("expected a statement");
            }

            var statement = parser.ParseTopLevel();
            parser.SkipSemicolons();
            if (parser.Current.Kind != TokenKind.EndOfInput)
            {
                throw parser.Error("expected end of input; only one statement is allowed here");
            }

            return statement;
        });
    }

    /// <summary>Parses a script of statements separated by <c>;</c> (empty statements are skipped).</summary>
    /// <exception cref="SqlSyntaxException">Some statement is not valid.</exception>
    public static ImmutableArray<Statement> ParseScript(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var parser = new Parser(sql);
        return parser.Guard(() =>
        {
            var statements = ImmutableArray.CreateBuilder<Statement>();
            parser.SkipSemicolons();
            while (parser.Current.Kind != TokenKind.EndOfInput)
            {
                statements.Add(parser.ParseTopLevel());
                parser.SkipSemicolons();
            }

            return statements.ToImmutable();
        });
    }

    /// <summary>Parses a single expression (for tests, defaults and tools).</summary>
    /// <exception cref="SqlSyntaxException">The text is not exactly one valid expression.</exception>
    public static Expression ParseExpression(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var parser = new Parser(sql);
        return parser.Guard(() =>
        {
            var expression = parser.ParseExpression();
            if (parser.Current.Kind != TokenKind.EndOfInput)
            {
                throw parser.Error("expected end of input after the expression");
            }

            parser.CheckDepth(expression, parser._index);
            return expression;
        });
    }

    private Token Current => Peek(0);

    private T Guard<T>(Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (InsufficientExecutionStackException)
        {
            throw Error("statement is nested too deeply");
        }
    }

    private Statement ParseTopLevel()
    {
        _parameterStyle = '\0';
        _questionMarks = 0;
        _maxParameter = 0;
        var firstToken = _index;
        var statement = ParseStatement();
        if (Current.Kind is not (TokenKind.Semicolon or TokenKind.EndOfInput))
        {
            throw Error("expected ';' or end of input");
        }

        CheckDepth(statement, _index - firstToken);
        return statement with { ParameterCount = _maxParameter };
    }

    private void CheckDepth(SqlNode root, int tokenCount)
    {
        // Along any path from the root, at most every other node lacks a token of its own (a select
        // item above its expression, say), so a tree is never deeper than twice its token count.
        if (tokenCount * 2 <= MaxTreeDepth)
        {
            return;
        }

        if (SyntaxTree.FindTooDeep(root, MaxTreeDepth) is { } node)
        {
            var token = _tokens.Find(t => t.Position.Offset == node.Position.Offset);
            throw new SqlSyntaxException(
                $"statement is nested too deeply (more than {MaxTreeDepth} levels)",
                node.Position,
                token.Kind == TokenKind.EndOfInput ? "" : token.Text);
        }
    }

    private Token Peek(int ahead)
    {
        while (_tokens.Count <= _index + ahead)
        {
            if (_tokens.Count > 0 && _tokens[^1].Kind == TokenKind.EndOfInput)
            {
                return _tokens[^1];
            }

            _tokens.Add(_lexer.Next());
        }

        return _tokens[_index + ahead];
    }

    private Token Advance()
    {
        var token = Current;
        if (token.Kind != TokenKind.EndOfInput)
        {
            _index++;
        }

        return token;
    }

    private void SkipSemicolons()
    {
        while (Current.Kind == TokenKind.Semicolon)
        {
            Advance();
        }
    }

    private bool Accept(TokenKind kind)
    {
        if (Current.Kind == kind)
        {
            Advance();
            return true;
        }

        return false;
    }

    private bool AcceptWord(string word)
    {
        if (Current.IsWord(word))
        {
            Advance();
            return true;
        }

        return false;
    }

    private Token Expect(TokenKind kind, string description) =>
        Current.Kind == kind ? Advance() : throw Error($"expected {description}");

    private Token ExpectWord(string word) =>
        Current.IsWord(word) ? Advance() : throw Error($"expected {word.ToUpperInvariant()}");

    private string ParseName(string description)
    {
        var token = Current;
        if (token.Kind is TokenKind.Identifier or TokenKind.QuotedIdentifier)
        {
            Advance();
            return token.Name;
        }

        throw token.Kind == TokenKind.Keyword
            ? Error($"expected {description} (\"{token.Name}\" is a reserved word; double-quote it to use it as a name)")
            : Error($"expected {description}");
    }

    private ImmutableArray<string> ParseNameList(string description)
    {
        Expect(TokenKind.LeftParen, "'('");
        var names = ImmutableArray.CreateBuilder<string>();
        do
        {
            names.Add(ParseName(description));
        }
        while (Accept(TokenKind.Comma));

        Expect(TokenKind.RightParen, "',' or ')'");
        return names.ToImmutable();
    }

    private void Enter()
    {
        if (++_nesting > MaxNestingDepth)
        {
            throw Error($"statement is nested too deeply (more than {MaxNestingDepth} levels)");
        }

        RuntimeHelpers.EnsureSufficientExecutionStack();
    }

    private void Leave() => _nesting--;

    private SqlSyntaxException Error(string detail) => ErrorAt(Current, detail);

    private static SqlSyntaxException ErrorAt(Token token, string detail) =>
        new(detail, token.Position, token.Kind == TokenKind.EndOfInput ? null : token.Text);
}
