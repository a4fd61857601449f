using System.Diagnostics;
using Cohort.Sql.Ast;
using Cohort.Sql.Parsing;

namespace Cohort.Tests.Sql.Parsing;

public sealed class FuzzTests
{
    private const string _noise = "()',;-*/\"$?.:|!a1 ";

    private static readonly string[] _fragments =
    [
        "SELECT", "FROM", "WHERE", "INSERT", "INTO", "VALUES", "UPDATE", "SET", "DELETE", "CREATE", "TABLE", "INDEX",
        "UNIQUE", "DROP", "ALTER", "ADD", "COLUMN", "IF", "NOT", "EXISTS", "PRIMARY", "KEY", "NULL", "DEFAULT", "ON",
        "CONFLICT", "DO", "NOTHING", "RETURNING", "JOIN", "LEFT", "INNER", "CROSS", "OUTER", "GROUP", "BY", "HAVING",
        "ORDER", "ASC", "DESC", "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET", "AS", "OF", "EXPLAIN", "DISTINCT", "AND",
        "OR", "IS", "BETWEEN", "IN", "LIKE", "ESCAPE", "CASE", "WHEN", "THEN", "ELSE", "END", "CAST", "INT", "TEXT",
        "DECIMAL", "VARCHAR", "DOUBLE", "PRECISION", "TIMESTAMP", "TRUE", "FALSE", "count", "a", "b", "t", "u", "\"Q\"",
        "1", "2.50", "1e3", "-", "+", "*", "/", "%", "||", "=", "<>", "!=", "<", "<=", ">", ">=", "::", "(", ")", ",",
        ".", ";", "$1", "$2", "?", "'s'", "''", "--c\n", "/*x*/", "9223372036854775808",
    ];

    [Fact]
    public void ParseScript_RandomTokenSoup_ParsesOrThrowsOnlySqlSyntaxException()
    {
        var random = new Random(20240611);
        var parsed = 0;
        for (var i = 0; i < 5000; i++)
        {
            var count = random.Next(1, 40);
            var sql = string.Join(" ", Enumerable.Range(0, count).Select(_ => _fragments[random.Next(_fragments.Length)]));
            parsed += Check(sql) ? 1 : 0;
        }

        Assert.True(parsed > 0, "some soups should parse");
    }

    [Fact]
    public void ParseScript_MutatedValidStatements_ParseOrThrowOnlySqlSyntaxException()
    {
        var random = new Random(7);
        var corpus = ((IEnumerable<object[]>)RoundTripTests.Statements).Select(row => (string)row[0]).ToArray();
        for (var i = 0; i < 5000; i++)
        {
            var chars = corpus[random.Next(corpus.Length)].ToCharArray().ToList();
            for (var edits = random.Next(1, 4); edits > 0 && chars.Count > 0; edits--)
            {
                var at = random.Next(chars.Count);
                switch (random.Next(3))
                {
                    case 0:
                        chars.RemoveAt(at);
                        break;
                    case 1:
                        chars.Insert(at, _noise[random.Next(_noise.Length)]);
                        break;
                    default:
                        (chars[at], chars[random.Next(chars.Count)]) = (chars[random.Next(chars.Count)], chars[at]);
                        break;
                }
            }

            Check(new string([.. chars]));
        }
    }

    [Fact]
    public void ParseScript_RandomCharacters_ParseOrThrowOnlySqlSyntaxException()
    {
        var random = new Random(42);
        for (var i = 0; i < 5000; i++)
        {
            var chars = new char[random.Next(0, 60)];
            for (var j = 0; j < chars.Length; j++)
            {
                chars[j] = random.Next(4) == 0 ? (char)random.Next(0, 0x10000) : (char)random.Next(0, 128);
            }

            Check(new string(chars));
        }
    }

    // Parses the text; when it parses, its printed form must parse back to an equal tree.
    private static bool Check(string sql)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var statements = Parser.ParseScript(sql);
            foreach (var statement in statements)
            {
                var printed = statement.ToSql();
                var reparsed = Parser.Parse(printed);
                Assert.True(SyntaxComparer.Instance.Equals(statement, reparsed), $"round trip of {sql}\n  printed: {printed}\n  reprinted: {reparsed.ToSql()}");
            }

            return true;
        }
        catch (SqlSyntaxException)
        {
            return false;
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            Assert.Fail($"{ex.GetType().Name} for input {sql}: {ex}");
            return false;
        }
        finally
        {
            Assert.True(watch.ElapsedMilliseconds < 2000, $"slow input: {sql}");
        }
    }
}
