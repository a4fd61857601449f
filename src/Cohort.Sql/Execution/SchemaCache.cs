using System.Runtime.CompilerServices;
using Cohort.Core;
using Cohort.Sql.Storage;

namespace Cohort.Sql.Execution;

/// <summary>
/// Decodes catalog values into <see cref="TableSchema"/> objects once: the same stored catalog value always yields
/// the same schema instance, which is also what cached plans are validated against.
/// </summary>
internal static class SchemaCache
{
    private static readonly ConditionalWeakTable<ValueMap, TableSchema> Decoded = [];

    /// <summary>The schema a catalog value encodes.</summary>
    public static TableSchema Decode(Value catalog) =>
        catalog.Kind == ValueKind.Map
            ? Decoded.GetValue(catalog.AsMap(), static map => TableSchema.FromValue(Value.Map(map)))
            : TableSchema.FromValue(catalog);

    /// <summary>The catalog value of <paramref name="schema"/>, registered so that decoding it returns the same instance.</summary>
    public static Value Encode(TableSchema schema)
    {
        var value = schema.ToValue();
        Decoded.AddOrUpdate(value.AsMap(), schema);
        return value;
    }
}
