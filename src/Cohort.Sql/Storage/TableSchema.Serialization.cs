using System.Collections.Immutable;
using Cohort.Core;
using Cohort.Sql.Ast;
using Cohort.Sql.Parsing;

namespace Cohort.Sql.Storage;

/// <content>The catalog form of a schema: a <see cref="Value"/> map, defaults as SQL text.</content>
internal sealed partial class TableSchema
{
    /// <summary>Version of the catalog format written by <see cref="ToValue"/>.</summary>
    public const long FormatVersion = 1;

    /// <summary>
    /// The schema as a value for the catalog: <c>{format, name, columns: [{name, type: {kind, precision,
    /// scale, length}, not_null, unique, default (SQL text or null), missing}], primary_key: [i...],
    /// indexes: [{name, columns: [i...], unique}]}</c>. Type kinds are stored by name, so reordering
    /// <see cref="SqlTypeKind"/> cannot corrupt a catalog.
    /// </summary>
    public Value ToValue() => Value.Map(
        ("format", FormatVersion),
        ("name", Name),
        ("columns", Value.List(Columns.Select(ColumnToValue).ToImmutableArray())),
        ("primary_key", Ints(PrimaryKey)),
        ("indexes", Value.List(Indexes.Select(i => Value.Map(("name", i.Name), ("columns", Ints(i.Columns)), ("unique", i.Unique))).ToImmutableArray())));

    /// <summary>Reads what <see cref="ToValue"/> wrote.</summary>
    /// <exception cref="CohortException"><c>corruption</c> when the value is not a schema.</exception>
    public static TableSchema FromValue(Value value)
    {
        try
        {
            if (Field(value, "format").AsInt64() != FormatVersion)
            {
                throw Corrupt($"unknown catalog format {Field(value, "format")}");
            }

            var name = Field(value, "name").AsString();
            var columns = Field(value, "columns").AsList().Select(ColumnFromValue).ToImmutableArray();
            var primaryKey = ReadInts(Field(value, "primary_key"), columns.Length);
            var indexes = Field(value, "indexes").AsList()
                .Select(i => new IndexSchema(Field(i, "name").AsString(), ReadInts(Field(i, "columns"), columns.Length), Field(i, "unique").AsBool()))
                .ToImmutableArray();
            return new TableSchema(name, columns, primaryKey, indexes);
        }
        catch (Exception e) when (e is InvalidCastException or InvalidOperationException or SqlSyntaxException or ArgumentException or OverflowException)
        {
            throw Corrupt(e.Message, e);
        }
    }

    private static Value ColumnToValue(ColumnSchema column) => Value.Map(
        ("name", column.Name),
        ("type", Value.Map(
            ("kind", column.Type.Kind.ToString()),
            ("precision", Nullable(column.Type.Precision)),
            ("scale", Nullable(column.Type.Scale)),
            ("length", Nullable(column.Type.Length)))),
        ("not_null", column.NotNull),
        ("unique", column.Unique),
        ("default", column.Default?.ToSql()),
        ("missing", column.MissingValue));

    private static ColumnSchema ColumnFromValue(Value value)
    {
        var type = Field(value, "type");
        var kindName = Field(type, "kind").AsString();
        if (!Enum.TryParse<SqlTypeKind>(kindName, ignoreCase: false, out var kind) || !Enum.IsDefined(kind) || int.TryParse(kindName, out _))
        {
            throw Corrupt($"unknown column type \"{kindName}\"");
        }

        var sqlType = new SqlType(kind, ReadNullable(Field(type, "precision")), ReadNullable(Field(type, "scale")), ReadNullable(Field(type, "length")));
        var defaultSql = Field(value, "default");
        return new ColumnSchema(
            Field(value, "name").AsString(),
            sqlType,
            Field(value, "not_null").AsBool(),
            defaultSql.IsNull ? null : Parser.ParseExpression(defaultSql.AsString()),
            Field(value, "unique").AsBool(),
            Field(value, "missing"));
    }

    private static Value Ints(ImmutableArray<int> values) => Value.List(values.Select(i => Value.From((long)i)).ToImmutableArray());

    private static ImmutableArray<int> ReadInts(Value value, int columnCount) =>
        [.. value.AsList().Select(v => v.AsInt64() is var i && i >= 0 && i < columnCount ? (int)i : throw Corrupt($"column index {i} out of range"))];

    private static Value Nullable(int? value) => value is { } v ? Value.From((long)v) : Value.Null;

    private static int? ReadNullable(Value value) => value.IsNull ? null : checked((int)value.AsInt64());

    private static Value Field(Value value, string name) =>
        value.TryGetField(name, out var field) ? field : throw Corrupt($"catalog entry has no field \"{name}\"");

    private static CohortException Corrupt(string message, Exception? inner = null) =>
        new(ErrorCodes.Corruption, "Corrupt SQL catalog entry: " + message, isTransient: false, inner);
}
