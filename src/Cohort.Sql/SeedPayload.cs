using System.Text;
using Cohort.Core;

namespace Cohort.Sql;

/// <summary>
/// The seed systems' row payload <c>{"table","operation":"insert|update|delete|upsert","values":{…},"where":{…}}</c>
/// as one parameterized statement that both the SQL engine and PostgreSQL run. Identifiers are plain names —
/// letters, digits and <c>_</c>, not starting with a digit, at most 63 characters — quoted in lower case; values are
/// always parameters, never spliced into the text.
/// </summary>
internal static class SeedPayload
{
    /// <summary>Longest identifier accepted (PostgreSQL's NAMEDATALEN − 1).</summary>
    public const int MaxIdentifierLength = 63;

    /// <summary>
    /// The statement an operation of a SQL resource runs: <c>{"sql": "…", "params": […]}</c> as given, or a seed
    /// payload (<see cref="ToStatement"/>). <paramref name="kind"/> names the resource kind in the error for any other.
    /// </summary>
    public static (string Text, Value[] Parameters) StatementOf(Operation operation, string kind)
    {
        switch (operation.Name)
        {
            case "sql":
            {
                var text = operation.RequiredString("sql");
                if (!operation.Arguments.TryGetField("params", out var list) || list.IsNull)
                {
                    return (text, []);
                }

                return list.Kind == ValueKind.List
                    ? (text, [.. list.AsList()])
                    : throw Bad("Argument 'params' of 'sql' must be a list.");
            }

            case "payload":
                return ToStatement(operation.Arguments);
            default:
                throw new CohortException(
                    ErrorCodes.UnknownOperation,
                    $"Unknown {kind} operation '{operation.Name}'; expected {{\"sql\": \"…\", \"params\": […]}} or a seed payload {{\"table\", \"operation\", \"values\", \"where\"}}.",
                    isTransient: false);
        }
    }

    /// <summary>The statement text (<c>$n</c> placeholders) and its parameters.</summary>
    public static (string Text, Value[] Parameters) ToStatement(Value payload)
    {
        if (payload.Kind != ValueKind.Map)
        {
            throw Bad("A seed payload is an object {\"table\", \"operation\", \"values\", \"where\"}.");
        }

        var table = Identifier(Field(payload, "table") is { Kind: ValueKind.String } t ? t.AsString() : throw Bad("Seed payload needs a string 'table'."), "table");
        var operation = Field(payload, "operation") is { Kind: ValueKind.String } o ? o.AsString().ToLowerInvariant() : throw Bad("Seed payload needs a string 'operation'.");
        var values = Columns(payload, "values");
        var where = Columns(payload, "where");
        var parameters = new List<Value>();
        var text = new StringBuilder();
        switch (operation)
        {
            case "insert":
            case "upsert":
            {
                if (values.Count == 0)
                {
                    throw Bad($"Seed payload '{operation}' needs at least one column in 'values'.");
                }

                text.Append("INSERT INTO ").Append(table).Append(" (").AppendJoin(", ", values.Select(v => v.Column)).Append(") VALUES (");
                text.AppendJoin(", ", values.Select(v => Parameter(parameters, v.Value))).Append(')');
                if (operation == "upsert")
                {
                    // The conflict target is the columns of 'where' (the row's key), or the first value column.
                    var target = where.Count > 0 ? where.Select(w => w.Column).ToList() : [values[0].Column];
                    var updates = values.Where(v => !target.Contains(v.Column)).ToList();
                    text.Append(" ON CONFLICT (").AppendJoin(", ", target).Append(')');
                    if (updates.Count == 0)
                    {
                        text.Append(" DO NOTHING");
                    }
                    else
                    {
                        text.Append(" DO UPDATE SET ").AppendJoin(", ", updates.Select(u => $"{u.Column} = EXCLUDED.{u.Column}"));
                    }
                }

                break;
            }

            case "update":
                if (values.Count == 0)
                {
                    throw Bad("Seed payload 'update' needs at least one column in 'values'.");
                }

                text.Append("UPDATE ").Append(table).Append(" SET ").AppendJoin(", ", values.Select(v => $"{v.Column} = {Parameter(parameters, v.Value)}"));
                AppendWhere(text, where, parameters, operation);
                break;
            case "delete":
                text.Append("DELETE FROM ").Append(table);
                AppendWhere(text, where, parameters, operation);
                break;
            default:
                throw Bad($"Seed payload operation must be insert, update, delete or upsert, not '{operation}'.");
        }

        return (text.ToString(), [.. parameters]);
    }

    /// <summary>Validates a plain identifier and returns it quoted (keywords are fine; the name is folded to lower case as PostgreSQL folds unquoted names).</summary>
    public static string Identifier(string name, string field)
    {
        var valid = name.Length is > 0 and <= MaxIdentifierLength && (char.IsAsciiLetter(name[0]) || name[0] == '_')
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
        return valid
            ? "\"" + name.ToLowerInvariant() + "\""
            : throw Bad($"'{name}' in '{field}' is not a valid identifier: use letters, digits and '_' (not starting with a digit), at most {MaxIdentifierLength} characters.");
    }

    private static void AppendWhere(StringBuilder text, List<(string Column, Value Value)> where, List<Value> parameters, string operation)
    {
        // A payload without 'where' would touch every row; the seed never meant that.
        if (where.Count == 0)
        {
            throw Bad($"Seed payload '{operation}' needs a non-empty 'where'.");
        }

        text.Append(" WHERE ").AppendJoin(" AND ", where.Select(w => w.Value.IsNull ? $"{w.Column} IS NULL" : $"{w.Column} = {Parameter(parameters, w.Value)}"));
    }

    private static string Parameter(List<Value> parameters, Value value)
    {
        parameters.Add(value);
        return "$" + parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static List<(string Column, Value Value)> Columns(Value payload, string field)
    {
        var value = Field(payload, field);
        if (value.IsNull)
        {
            return [];
        }

        if (value.Kind != ValueKind.Map)
        {
            throw Bad($"Seed payload '{field}' must be an object of column → value.");
        }

        return [.. value.AsMap().Select(kv => (Identifier(kv.Key, field), kv.Value))];
    }

    private static Value Field(Value payload, string name) => payload.TryGetField(name, out var value) ? value : Value.Null;

    private static CohortException Bad(string message) => new(ErrorCodes.BadOperation, message, isTransient: false);
}
