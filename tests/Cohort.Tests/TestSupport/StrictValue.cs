namespace Cohort.Tests.TestSupport;

/// <summary>
/// Equality stricter than <see cref="Value.Equals(Value)"/>, for round-trip tests: doubles compare by bit
/// pattern (so -0.0 differs from 0.0), and decimals by value and scale at every depth.
/// </summary>
internal static class StrictValue
{
    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> are the same value bit for bit.</summary>
    /// <param name="anyNaN">Whether every NaN counts as equal to every other (JSON keeps no NaN payload).</param>
    public static bool AreSame(Value a, Value b, bool anyNaN)
    {
        if (a.Kind != b.Kind)
        {
            return false;
        }

        switch (a.Kind)
        {
            case ValueKind.Double:
            {
                var x = a.AsDouble();
                var y = b.AsDouble();
                return anyNaN && double.IsNaN(x) && double.IsNaN(y)
                    || BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y);
            }

            case ValueKind.Decimal:
                return a.AsDecimal() == b.AsDecimal() && a.AsDecimal().Scale == b.AsDecimal().Scale;
            case ValueKind.List:
            {
                var x = a.AsList();
                var y = b.AsList();
                if (x.Length != y.Length)
                {
                    return false;
                }

                for (var i = 0; i < x.Length; i++)
                {
                    if (!AreSame(x[i], y[i], anyNaN))
                    {
                        return false;
                    }
                }

                return true;
            }

            case ValueKind.Map:
            {
                var x = a.AsMap();
                var y = b.AsMap();
                if (x.Count != y.Count)
                {
                    return false;
                }

                foreach (var (key, value) in x)
                {
                    if (!y.TryGetValue(key, out var other) || !AreSame(value, other, anyNaN))
                    {
                        return false;
                    }
                }

                return true;
            }

            default:
                return a.Equals(b);
        }
    }
}
