using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using Cohort.Core;

namespace Cohort.Client;

/// <summary>
/// Maps values and rows to user types: scalars (<c>long</c>, <c>int</c>, <c>decimal</c>, <c>double</c>, <c>bool</c>,
/// <c>string</c>, <c>Guid</c>, <c>DateTimeOffset</c>, <c>DateTime</c>, <c>byte[]</c>, enums, <see cref="Value"/> and their
/// nullable forms), and rows or maps to classes and records by column name.
/// </summary>
/// <remarks>
/// A row maps through the public constructor with the most parameters (each must name a column; a type with only a
/// parameterless constructor uses that one), then sets the public settable properties the constructor did not take
/// that name a column. Names match case-insensitively with
/// underscores ignored (<c>user_id</c> → <c>UserId</c>). A column no member names is ignored; a constructor parameter
/// or non-nullable value type given SQL NULL, or a value that does not fit its member, is a
/// <see cref="FormatException"/> naming the column.
/// </remarks>
public static class ValueMapper
{
    private static readonly ConcurrentDictionary<Type, RowShape> Shapes = new();

    /// <summary>Converts one value to <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">A scalar type listed on <see cref="ValueMapper"/>, or a class or record (from a map value).</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>The converted value.</returns>
    /// <exception cref="FormatException">The value does not fit <typeparamref name="T"/>.</exception>
    public static T To<[DynamicallyAccessedMembers(Members)] T>(Value value) => (T)Convert(value, typeof(T), "value")!;

    /// <summary>Maps a row to <typeparamref name="T"/> by column name (see the remarks of <see cref="ValueMapper"/>).</summary>
    /// <typeparam name="T">A class or record; a scalar type takes the row's only column.</typeparam>
    /// <param name="row">The row.</param>
    /// <returns>The mapped object.</returns>
    public static T Map<[DynamicallyAccessedMembers(Members)] T>(SqlRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (IsScalar(typeof(T)))
        {
            return row.Values.Length == 1
                ? (T)Convert(row.Values[0], typeof(T), row.Columns[0])!
                : throw new FormatException($"A row of {row.Values.Length} columns does not map to the single value {typeof(T).Name}.");
        }

        return (T)Shapes.GetOrAdd(typeof(T), static t => RowShape.Of(t)).Create(name => row.TryGet(name, out var v) ? (true, v) : (false, default));
    }

    internal const DynamicallyAccessedMemberTypes Members = DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicProperties;

    private static bool IsScalar(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(Guid) || t == typeof(DateTimeOffset)
            || t == typeof(DateTime) || t == typeof(byte[]) || t == typeof(Value);
    }

    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "Nested map targets keep the members their declaring member's type keeps; documented as reflection-based.")]
    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "As above.")]
    internal static object? Convert(Value value, Type type, string name)
    {
        if (type == typeof(Value))
        {
            return value;
        }

        var nullable = Nullable.GetUnderlyingType(type);
        if (value.IsNull)
        {
            return nullable is not null || !type.IsValueType ? null : throw new FormatException($"'{name}' is NULL, which {type.Name} cannot hold.");
        }

        var t = nullable ?? type;
        try
        {
            return t switch
            {
                _ when t == typeof(string) => value.Kind == ValueKind.String ? value.AsString() : value.ToString(),
                _ when t == typeof(long) => ToInt64(value),
                _ when t == typeof(int) => checked((int)ToInt64(value)),
                _ when t == typeof(short) => checked((short)ToInt64(value)),
                _ when t == typeof(sbyte) => checked((sbyte)ToInt64(value)),
                _ when t == typeof(byte) => checked((byte)ToInt64(value)),
                _ when t == typeof(ushort) => checked((ushort)ToInt64(value)),
                _ when t == typeof(uint) => checked((uint)ToInt64(value)),
                _ when t == typeof(ulong) => checked((ulong)ToInt64(value)),
                _ when t == typeof(char) => value.AsString() is [var c] ? c : throw new InvalidOperationException("not a one-character string"),
                _ when t == typeof(decimal) => value.Kind switch
                {
                    ValueKind.Decimal => value.AsDecimal(),
                    ValueKind.Int64 => value.AsInt64(),
                    ValueKind.Double => (decimal)value.AsDouble(),
                    _ => decimal.Parse(value.AsString(), NumberStyles.Number, CultureInfo.InvariantCulture),
                },
                _ when t == typeof(double) => value.Kind switch
                {
                    ValueKind.Double => value.AsDouble(),
                    ValueKind.Int64 => value.AsInt64(),
                    ValueKind.Decimal => (double)value.AsDecimal(),
                    _ => double.Parse(value.AsString(), NumberStyles.Float, CultureInfo.InvariantCulture),
                },
                _ when t == typeof(float) => (float)(double)Convert(value, typeof(double), name)!,
                _ when t == typeof(bool) => value.AsBool(),
                _ when t == typeof(Guid) => Guid.Parse(value.AsString(), CultureInfo.InvariantCulture),
                _ when t == typeof(DateTimeOffset) => DateTimeOffset.Parse(value.AsString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                _ when t == typeof(DateTime) => DateTime.Parse(value.AsString(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
                _ when t == typeof(byte[]) => value.AsBytes().ToArray(),
                _ when t.IsEnum => value.Kind == ValueKind.Int64 ? Enum.ToObject(t, value.AsInt64()) : Enum.Parse(t, value.AsString(), ignoreCase: true),
                _ when value.Kind == ValueKind.Map => Shapes.GetOrAdd(t, static s => RowShape.Of(s)).Create(n => value.AsMap().TryGetValue(Key(value, n), out var v) ? (true, v) : (false, default)),
                _ => throw new FormatException($"{t.Name} is not a type values map to."),
            };
        }
        catch (Exception e) when (e is InvalidOperationException or OverflowException or ArgumentException)
        {
            throw new FormatException($"'{name}' ({value.Kind}: {value}) does not fit {t.Name}: {e.Message}", e);
        }
    }

    private static long ToInt64(Value value) => value.Kind switch
    {
        ValueKind.Int64 => value.AsInt64(),
        ValueKind.Decimal when decimal.Truncate(value.AsDecimal()) == value.AsDecimal() => decimal.ToInt64(value.AsDecimal()),
        ValueKind.String => long.Parse(value.AsString(), NumberStyles.Integer, CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException($"a {value.Kind} is not an integer"),
    };

    // The map key a member name stands for (same normalization as columns).
    private static string Key(Value map, string normalized)
    {
        foreach (var key in map.AsMap().Keys)
        {
            if (Normalize(key) == normalized)
            {
                return key;
            }
        }

        return normalized;
    }

    internal static string Normalize(string name) => name.Replace("_", string.Empty, StringComparison.Ordinal).ToUpperInvariant();

    // How a type is built from named values: the constructor and the settable properties, by normalized name.
    private sealed class RowShape
    {
        private ConstructorInfo? _constructor;
        private (string Name, string Display, Type Type)[] _parameters = [];
        private (string Name, PropertyInfo Property)[] _properties = [];
        private Type _type = typeof(object);

        public static RowShape Of([DynamicallyAccessedMembers(Members)] Type type)
        {
            var constructors = type.GetConstructors(BindingFlags.Public | BindingFlags.Instance);
            var shape = new RowShape { _type = type };
            shape._constructor = constructors.Where(c => c.GetParameters().Length > 0).OrderByDescending(c => c.GetParameters().Length).FirstOrDefault()
                ?? constructors.FirstOrDefault(c => c.GetParameters().Length == 0);
            if (shape._constructor is null && !type.IsValueType)
            {
                throw new FormatException($"{type.Name} has no public constructor to map a row to.");
            }

            shape._parameters = [.. (shape._constructor?.GetParameters() ?? []).Select(p => (Normalize(p.Name ?? string.Empty), p.Name ?? string.Empty, p.ParameterType))];
            var byConstructor = shape._parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            shape._properties = [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.CanWrite && p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0 && !byConstructor.Contains(Normalize(p.Name)))
                .Select(p => (Normalize(p.Name), p))];
            return shape;
        }

        public object Create(Func<string, (bool Found, Value Value)> lookup)
        {
            var arguments = new object?[_parameters.Length];
            for (var i = 0; i < _parameters.Length; i++)
            {
                var (name, display, type) = _parameters[i];
                var (found, value) = lookup(name);
                arguments[i] = found
                    ? Convert(value, type, display)
                    : throw new FormatException($"{_type.Name} needs '{display}', which the row does not have.");
            }

            var instance = _constructor is null ? Activator.CreateInstance(_type)! : _constructor.Invoke(arguments);
            foreach (var (name, property) in _properties)
            {
                if (lookup(name) is (true, var value))
                {
                    property.SetValue(instance, Convert(value, property.PropertyType, property.Name));
                }
            }

            return instance;
        }
    }
}
