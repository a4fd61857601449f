using System.Collections;
using System.Collections.Immutable;
using System.Globalization;
using Cohort.Core;
using Npgsql;
using NpgsqlTypes;

namespace Cohort.Postgres;

/// <summary>Converts Cohort values to PostgreSQL parameters and column values back to Cohort values.</summary>
internal static class PgValues
{
    /// <summary>
    /// A positional parameter for <paramref name="value"/>. Strings and maps are sent untyped (PostgreSQL infers the
    /// column's type, so <c>'2026-01-31'</c> fills a date and <c>{…}</c> a jsonb column); the other kinds carry their type.
    /// </summary>
    public static NpgsqlParameter Parameter(Value value) => value.Kind switch
    {
        ValueKind.Null => new NpgsqlParameter { Value = DBNull.Value },
        ValueKind.Bool => new NpgsqlParameter<bool> { TypedValue = value.AsBool() },
        ValueKind.Int64 => new NpgsqlParameter<long> { TypedValue = value.AsInt64() },
        ValueKind.Double => new NpgsqlParameter<double> { TypedValue = value.AsDouble() },
        ValueKind.Decimal => new NpgsqlParameter<decimal> { TypedValue = value.AsDecimal() },
        ValueKind.String => new NpgsqlParameter { Value = value.AsString(), NpgsqlDbType = NpgsqlDbType.Unknown },
        ValueKind.Bytes => new NpgsqlParameter<byte[]> { TypedValue = value.AsBytes().ToArray() },
        ValueKind.List => ListParameter(value.AsList()),
        _ => new NpgsqlParameter { Value = ValueJson.Serialize(value), NpgsqlDbType = NpgsqlDbType.Unknown },
    };

    /// <summary>A column value read from PostgreSQL as a Cohort value.</summary>
    public static Value FromDatabase(object? value) => value switch
    {
        null or DBNull => Value.Null,
        bool b => Value.From(b),
        short s => Value.From((long)s),
        int i => Value.From((long)i),
        long l => Value.From(l),
        uint u => Value.From((long)u),
        float f => Value.From((double)f),
        double d => Value.From(d),
        decimal m => Value.From(m),
        string text => Value.From(text),
        char c => Value.From(c.ToString()),
        byte[] bytes => Value.FromOwnedBytes(bytes),
        Guid g => Value.From(g.ToString()),
        DateTime t => Value.From(t.ToString(t.Kind == DateTimeKind.Utc ? "yyyy-MM-dd HH:mm:ss.FFFFFFzzz" : "yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture)),
        DateTimeOffset t => Value.From(t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFzzz", CultureInfo.InvariantCulture)),
        DateOnly d => Value.From(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        TimeOnly t => Value.From(t.ToString("HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture)),
        TimeSpan t => Value.From(t.ToString("c", CultureInfo.InvariantCulture)),
        Array array => Value.List(ImmutableArray.CreateRange(((IEnumerable)array).Cast<object?>().Select(FromDatabase))),
        IFormattable f => Value.From(f.ToString(null, CultureInfo.InvariantCulture)),
        _ => Value.From(value.ToString()),
    };

    private static NpgsqlParameter ListParameter(ImmutableArray<Value> items)
    {
        if (items.All(i => i.Kind == ValueKind.Int64))
        {
            return new NpgsqlParameter<long[]> { TypedValue = [.. items.Select(i => i.AsInt64())] };
        }

        if (items.All(i => i.Kind == ValueKind.String))
        {
            return new NpgsqlParameter<string[]> { TypedValue = [.. items.Select(i => i.AsString())] };
        }

        if (items.All(i => i.Kind == ValueKind.Double))
        {
            return new NpgsqlParameter<double[]> { TypedValue = [.. items.Select(i => i.AsDouble())] };
        }

        // Mixed lists have no PostgreSQL array type: they go as JSON text for a json/jsonb column.
        return new NpgsqlParameter { Value = ValueJson.Serialize(Value.List(items)), NpgsqlDbType = NpgsqlDbType.Unknown };
    }
}
