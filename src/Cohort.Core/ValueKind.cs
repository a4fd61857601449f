namespace Cohort.Core;

/// <summary>The type of a <see cref="Value"/>.</summary>
public enum ValueKind : byte
{
    /// <summary>The absence of a value.</summary>
    Null = 0,
    /// <summary>A boolean.</summary>
    Bool = 1,
    /// <summary>A signed 64-bit integer.</summary>
    Int64 = 2,
    /// <summary>An IEEE 754 double.</summary>
    Double = 3,
    /// <summary>An exact decimal (scale preserved).</summary>
    Decimal = 4,
    /// <summary>A UTF-16 string.</summary>
    String = 5,
    /// <summary>An immutable byte string.</summary>
    Bytes = 6,
    /// <summary>An ordered list of values.</summary>
    List = 7,
    /// <summary>A map from string keys to values.</summary>
    Map = 8,
}
