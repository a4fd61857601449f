using Cohort.Core;

namespace Cohort.Postgres;

/// <summary>
/// Finds statements in an operation's SQL that would end, begin or reconfigure the PostgreSQL transaction Cohort holds
/// for a <c>pg:*</c> resource (<c>COMMIT</c>, <c>ROLLBACK</c>, <c>PREPARE TRANSACTION</c>, <c>SET TRANSACTION</c> …): Cohort
/// alone decides when that transaction ends, so they are refused before anything is sent.
/// </summary>
/// <remarks>
/// Not a parser: a lexer that splits the text on semicolons outside quotes (<c>'…'</c>, <c>E'…'</c> with backslash
/// escapes, <c>"…"</c>, dollar quotes <c>$tag$…$tag$</c>), comments (<c>--</c>, nested <c>/* */</c>) and the bodies of
/// <c>CREATE FUNCTION … BEGIN ATOMIC … END</c>, and reads the first words of each statement. Every statement is checked,
/// although PostgreSQL's extended protocol (which Npgsql uses) already refuses a text with several statements, so a
/// smuggled <c>INSERT …; COMMIT</c> gets the same clear answer as a plain <c>COMMIT</c>. Statements that only fail inside
/// a transaction block (<c>VACUUM</c>, <c>CREATE DATABASE</c>, <c>DISCARD ALL</c>, <c>COMMIT</c> in a procedure) are left
/// to PostgreSQL, which refuses them. Savepoints (<c>SAVEPOINT</c>, <c>RELEASE</c>, <c>ROLLBACK TO</c>) stay inside the
/// transaction and are allowed. What the lexer cannot see (a statement built at run time) is caught after the fact by the
/// transaction-status checks of <see cref="PostgresEngine"/>.
/// </remarks>
internal static class TransactionControl
{
    // Enough words to tell ROLLBACK WORK TO … from ROLLBACK WORK, SET LOCAL transaction_isolation from SET LOCAL x.
    private const int WordsRead = 4;

    /// <summary>Throws <c>bad_operation</c> when <paramref name="sql"/> holds a transaction-control statement.</summary>
    public static void ThrowIfPresent(string resource, string sql)
    {
        if (Find(sql) is { } statement)
        {
            throw new CohortException(
                ErrorCodes.BadOperation,
                $"{resource}: '{statement}' is refused: Cohort begins, prepares, commits and rolls back the PostgreSQL transaction of a pg:* resource itself, "
                + "so transaction-control statements (BEGIN, COMMIT, END, ROLLBACK, ABORT, PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED, SET TRANSACTION, "
                + "SET SESSION CHARACTERISTICS) cannot run in an operation; savepoints (SAVEPOINT, RELEASE, ROLLBACK TO) can.",
                isTransient: false);
        }
    }

    /// <summary>The leading words of the first transaction-control statement in <paramref name="sql"/>, or null if none.</summary>
    public static string? Find(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        foreach (var words in StatementWords(sql))
        {
            if (IsTransactionControl(words))
            {
                return string.Join(' ', words);
            }
        }

        return null;
    }

    /// <summary>
    /// The first words (upper case, at most four) of each statement of <paramref name="sql"/>; a statement that starts
    /// with anything but a plain word (a parenthesis, a quoted name) has none.
    /// </summary>
    internal static List<string[]> StatementWords(string sql)
    {
        var statements = new List<string[]>();
        var words = new List<string>(WordsRead);
        var leading = true;
        var routine = false;
        var blockDepth = 0;
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            if (c == '-' && At(sql, i + 1, '-'))
            {
                while (i < sql.Length && sql[i] != '\n')
                {
                    i++;
                }

                continue;
            }

            if (c == '/' && At(sql, i + 1, '*'))
            {
                i = SkipBlockComment(sql, i);
                continue;
            }

            if (c == ';')
            {
                i++;
                if (blockDepth > 0)
                {
                    continue;
                }

                Finish();
                continue;
            }

            if (IsWordStart(c))
            {
                var start = i;
                while (i < sql.Length && IsWordPart(sql[i]))
                {
                    i++;
                }

                // E'…' (and e'…') is a string with backslash escapes; U&'…', B'…', X'…' are ordinary quotes read below.
                if (i - start == 1 && (c is 'E' or 'e') && At(sql, i, '\''))
                {
                    i = SkipQuoted(sql, i, '\'', backslashEscapes: true);
                    leading = false;
                    continue;
                }

                var word = sql[start..i].ToUpperInvariant();
                if (leading && words.Count < WordsRead)
                {
                    words.Add(word);
                    // CREATE [OR REPLACE] FUNCTION|PROCEDURE: an SQL-standard body BEGIN ATOMIC … END holds semicolons.
                    routine |= words is ["CREATE", "FUNCTION" or "PROCEDURE", ..] or ["CREATE", "OR", "REPLACE", "FUNCTION" or "PROCEDURE"];
                }

                if (routine)
                {
                    // As psql does: inside a routine definition BEGIN and CASE open a block that END closes.
                    if (word is "BEGIN" or "CASE")
                    {
                        blockDepth++;
                    }
                    else if (word == "END" && blockDepth > 0)
                    {
                        blockDepth--;
                    }
                }

                continue;
            }

            leading = false;
            switch (c)
            {
                case '\'':
                    i = SkipQuoted(sql, i, '\'', backslashEscapes: false);
                    break;
                case '"':
                    i = SkipQuoted(sql, i, '"', backslashEscapes: false);
                    break;
                case '$' when DollarTag(sql, i) is { } tag:
                {
                    var end = sql.IndexOf(tag, i + tag.Length, StringComparison.Ordinal);
                    i = end < 0 ? sql.Length : end + tag.Length;
                    break;
                }

                default:
                    i++;
                    break;
            }
        }

        Finish();
        return statements;

        void Finish()
        {
            if (words.Count > 0)
            {
                statements.Add([.. words]);
            }

            words.Clear();
            leading = true;
            routine = false;
            blockDepth = 0;
        }
    }

    private static bool IsTransactionControl(string[] w)
    {
        string At(int index) => index < w.Length ? w[index] : string.Empty;
        switch (w[0])
        {
            case "BEGIN":
            case "COMMIT":
            case "END":
            case "ABORT":
                // BEGIN/START begin a transaction (inside one: a warning, and nothing else); COMMIT/END/ABORT, with or
                // without AND CHAIN, end it; COMMIT PREPARED finishes a prepared transaction.
                return true;
            case "START":
                return At(1) == "TRANSACTION";
            case "ROLLBACK":
                // ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] name stays in the transaction; every other ROLLBACK ends one.
                return !(At(1) == "TO" || (At(1) is "WORK" or "TRANSACTION" && At(2) == "TO"));
            case "PREPARE":
                // PREPARE TRANSACTION 'gid' ends the transaction; PREPARE name AS … only names a statement.
                return At(1) == "TRANSACTION";
            case "SET":
            {
                // SET TRANSACTION …, SET SESSION CHARACTERISTICS AS TRANSACTION …, and the same through the settings:
                // SET [LOCAL | SESSION] transaction_isolation | default_transaction_isolation | … = ….
                var name = At(1) is "LOCAL" or "SESSION" ? At(2) : At(1);
                return name is "TRANSACTION" or "CHARACTERISTICS"
                    || name.StartsWith("TRANSACTION_", StringComparison.Ordinal)
                    || name.StartsWith("DEFAULT_TRANSACTION_", StringComparison.Ordinal);
            }

            default:
                return false;
        }
    }

    private static bool At(string text, int index, char c) => index < text.Length && text[index] == c;

    private static bool IsWordStart(char c) => char.IsLetter(c) || c == '_' || c > 127;

    private static bool IsWordPart(char c) => char.IsLetterOrDigit(c) || c is '_' or '$' || c > 127;

    // From an opening quote to just past its closing one: a doubled quote is an escaped quote, and so is a backslash-
    // escaped one in an E'…' string. An unterminated quote runs to the end (PostgreSQL will refuse the statement).
    private static int SkipQuoted(string text, int open, char quote, bool backslashEscapes)
    {
        var i = open + 1;
        while (i < text.Length)
        {
            var c = text[i];
            if (backslashEscapes && c == '\\')
            {
                i += 2;
                continue;
            }

            if (c == quote)
            {
                if (At(text, i + 1, quote))
                {
                    i += 2;
                    continue;
                }

                return i + 1;
            }

            i++;
        }

        return text.Length;
    }

    // Block comments nest in PostgreSQL: /* a /* b */ still a comment */.
    private static int SkipBlockComment(string text, int open)
    {
        var depth = 0;
        var i = open;
        while (i < text.Length)
        {
            if (text[i] == '/' && At(text, i + 1, '*'))
            {
                depth++;
                i += 2;
            }
            else if (text[i] == '*' && At(text, i + 1, '/'))
            {
                depth--;
                i += 2;
                if (depth == 0)
                {
                    return i;
                }
            }
            else
            {
                i++;
            }
        }

        return text.Length;
    }

    // The opening tag of a dollar quote at text[start] ($$ or $name$), or null: $1 is a parameter, and a $ inside a word
    // (a$b) is part of the word, which the caller has already consumed.
    private static string? DollarTag(string text, int start)
    {
        var i = start + 1;
        if (i < text.Length && IsWordStart(text[i]))
        {
            while (i < text.Length && text[i] != '$' && (char.IsLetterOrDigit(text[i]) || text[i] == '_' || text[i] > 127))
            {
                i++;
            }
        }

        return At(text, i, '$') ? text[start..(i + 1)] : null;
    }
}
