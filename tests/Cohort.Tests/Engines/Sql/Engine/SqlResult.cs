namespace Cohort.Tests.Engines.Sql.Engine;

/// <summary>A SQL answer <c>{"columns","rows","affected"}</c> in test-friendly form.</summary>
internal sealed class SqlResult(Value value)
{
    public Value Value { get; } = value;

    public IReadOnlyList<string> Columns => [.. Field("columns").AsList().Select(c => c.AsString())];

    public IReadOnlyList<IReadOnlyList<Value>> Rows => [.. Field("rows").AsList().Select(r => (IReadOnlyList<Value>)r.AsList())];

    public long Affected => Field("affected").AsInt64();

    /// <summary>The rows as strings like "1|ann|NULL", for compact assertions.</summary>
    public IReadOnlyList<string> Lines => [.. Rows.Select(r => string.Join("|", r.Select(Text)))];

    public Value Scalar => Assert.Single(Assert.Single(Rows));

    private Value Field(string name) => Value.TryGetField(name, out var v) ? v : throw new InvalidOperationException($"no '{name}' in {Value}");

    private static string Text(Value v) => v.Kind switch
    {
        ValueKind.Null => "NULL",
        ValueKind.String => v.AsString(),
        ValueKind.Bool => v.AsBool() ? "t" : "f",
        ValueKind.Decimal => v.AsDecimal().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ValueKind.Double => v.AsDouble().ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => v.ToString(),
    };
}
