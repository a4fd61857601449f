using System.Collections.Immutable;
using System.Text;

namespace Cohort.Tests.TestSupport;

/// <summary>Generates random, arbitrarily nested <see cref="Value"/>s from a seed, covering every kind and its edge cases.</summary>
internal sealed class RandomValues(int seed)
{
    private static readonly double[] SpecialDoubles =
    [
        0.0, -0.0, 1.0, -1.0, 0.1, 1e15, 1e16, 1e21, 123456789.0, 1.7976931348623157e308, -1.7976931348623157e308,
        double.Epsilon, -double.Epsilon, 2.2250738585072014e-308, double.NaN, double.PositiveInfinity, double.NegativeInfinity,
        9007199254740993.0, 0.30000000000000004,
    ];

    private static readonly long[] SpecialIntegers = [0, 1, -1, long.MaxValue, long.MinValue, int.MaxValue, int.MinValue, 9007199254740993];

    private static readonly string[] SpecialKeys = ["", "$decimal", "$bytes", "$double", "$map", "$", "$x", "a", "b", "key with space", "é", "\"q\""];

    private const string Alphabet = "abcXYZ019 _-.\"\\/\n\t\u0001\u001f\u007féß中文😀€$";

    private readonly Random _random = new(seed);

    public Value Next(int maxDepth = 4)
    {
        var kind = maxDepth <= 0 ? _random.Next(7) : _random.Next(9);
        switch (kind)
        {
            case 0:
                return Value.Null;
            case 1:
                return Value.From(_random.Next(2) == 0);
            case 2:
                return Value.From(NextInt64());
            case 3:
                return Value.From(NextDouble());
            case 4:
                return Value.From(NextDecimal());
            case 5:
                return Value.From(NextString(12));
            case 6:
            {
                var bytes = new byte[_random.Next(24)];
                _random.NextBytes(bytes);
                return Value.FromOwnedBytes(bytes);
            }

            case 7:
            {
                var items = ImmutableArray.CreateBuilder<Value>();
                var count = _random.Next(6);
                for (var i = 0; i < count; i++)
                {
                    items.Add(Next(maxDepth - 1));
                }

                return Value.List(items.ToImmutable());
            }

            default:
            {
                var entries = new List<KeyValuePair<string, Value>>();
                var count = _random.Next(6);
                for (var i = 0; i < count; i++)
                {
                    var key = _random.Next(3) == 0 ? SpecialKeys[_random.Next(SpecialKeys.Length)] : NextString(8);
                    entries.Add(new(key, Next(maxDepth - 1)));
                }

                return Value.Map(entries);
            }
        }
    }

    private long NextInt64() => _random.Next(3) switch
    {
        0 => SpecialIntegers[_random.Next(SpecialIntegers.Length)],
        1 => _random.Next(-1000, 1000),
        _ => _random.NextInt64(long.MinValue, long.MaxValue),
    };

    private double NextDouble()
    {
        switch (_random.Next(4))
        {
            case 0:
                return SpecialDoubles[_random.Next(SpecialDoubles.Length)];
            case 1:
                return Math.Round((_random.NextDouble() - 0.5) * 1e6); // integral doubles must stay doubles
            case 2:
                return (_random.NextDouble() - 0.5) * Math.Pow(10, _random.Next(-30, 30));
            default:
                return BitConverter.Int64BitsToDouble(_random.NextInt64(long.MinValue, long.MaxValue)); // any bit pattern
        }
    }

    private decimal NextDecimal()
    {
        if (_random.Next(8) == 0)
        {
            return _random.Next(4) switch
            {
                0 => 1.50m,
                1 => decimal.MaxValue,
                2 => decimal.MinValue,
                _ => 0.0000000000000000000000000001m,
            };
        }

        var scale = (byte)_random.Next(29);
        var hi = _random.Next(3) == 0 ? _random.Next() : 0;
        var mid = _random.Next(2) == 0 ? _random.Next() : 0;
        return new decimal(_random.Next(), mid, hi, _random.Next(2) == 0, scale);
    }

    private string NextString(int maxLength)
    {
        var builder = new StringBuilder();
        var elements = System.Globalization.StringInfo.GetTextElementEnumerator(Alphabet);
        var pieces = new List<string>();
        while (elements.MoveNext())
        {
            pieces.Add(elements.GetTextElement());
        }

        var length = _random.Next(maxLength + 1);
        for (var i = 0; i < length; i++)
        {
            builder.Append(pieces[_random.Next(pieces.Count)]);
        }

        return builder.ToString();
    }
}
