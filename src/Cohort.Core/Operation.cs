namespace Cohort.Core;

/// <summary>
/// One operation on a resource: a name (<c>put</c>, <c>enqueue</c>, <c>transfer</c>, <c>sql</c>…) and its
/// arguments as a map value. The JSON form is <c>{"put":{"key":"k","value":V}}</c>.
/// </summary>
/// <param name="Name">The operation name.</param>
/// <param name="Arguments">The arguments, normally a <see cref="ValueKind.Map"/>.</param>
public readonly record struct Operation(string Name, Value Arguments)
{
    /// <summary>Creates an operation from a name and named arguments.</summary>
    public static Operation Create(string name, params ReadOnlySpan<(string Key, Value Value)> arguments) =>
        new(name, Value.Map(arguments));

    /// <summary>Converts the JSON form <c>{"name":{…}}</c> into an operation.</summary>
    public static Operation FromValue(Value op)
    {
        // SQL operations are the two shapes the API documents: {"sql": text, "params": [...]} and the seed payload.
        if (op.Kind == ValueKind.Map && op.AsMap().ContainsKey("sql"))
        {
            return new Operation(OperationNames.Sql, op);
        }

        if (op.Kind == ValueKind.Map && op.AsMap().ContainsKey("table") && op.AsMap().ContainsKey("operation"))
        {
            return new Operation(OperationNames.Payload, op);
        }

        if (op.Kind != ValueKind.Map || op.AsMap().Count != 1)
        {
            throw new CohortException(ErrorCodes.BadOperation, "An operation is an object with exactly one member naming it, e.g. {\"get\":{\"key\":\"k\"}}.");
        }

        var (name, args) = op.AsMap().Entries[0];
        return new Operation(name, args);
    }

    /// <summary>The JSON form <c>{"name":{…}}</c>.</summary>
    public Value ToValue() => Name is OperationNames.Sql or OperationNames.Payload ? Arguments : Value.Map((Name, Arguments));

    /// <summary>A required argument; throws <c>bad_operation</c> naming it when missing.</summary>
    public Value Required(string argument)
    {
        if (Arguments.TryGetField(argument, out var value) && !value.IsNull)
        {
            return value;
        }

        throw new CohortException(ErrorCodes.BadOperation, $"Operation '{Name}' needs argument '{argument}'.");
    }

    /// <summary>A required string argument; throws <c>bad_operation</c> when missing or not a string.</summary>
    public string RequiredString(string argument)
    {
        var value = Required(argument);
        return value.Kind == ValueKind.String
            ? value.AsString()
            : throw new CohortException(ErrorCodes.BadOperation, $"Argument '{argument}' of '{Name}' must be a string, not {value.Kind}.");
    }

    /// <summary>An optional string argument; throws <c>bad_operation</c> when present but not a string.</summary>
    public string? OptionalString(string argument)
    {
        if (!Arguments.TryGetField(argument, out var value) || value.IsNull)
        {
            return null;
        }

        return value.Kind == ValueKind.String
            ? value.AsString()
            : throw new CohortException(ErrorCodes.BadOperation, $"Argument '{argument}' of '{Name}' must be a string, not {value.Kind}.");
    }

    /// <summary>An optional integer argument; throws <c>bad_operation</c> when present but not an integer.</summary>
    public long? OptionalInt64(string argument)
    {
        if (!Arguments.TryGetField(argument, out var value) || value.IsNull)
        {
            return null;
        }

        return value.TryGetInt64(out var result)
            ? result
            : throw new CohortException(ErrorCodes.BadOperation, $"Argument '{argument}' of '{Name}' must be an integer, not {value.Kind}.");
    }

    /// <inheritdoc/>
    public override string ToString() => ValueJson.Serialize(ToValue());
}
