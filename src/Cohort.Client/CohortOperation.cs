using Cohort.Core;

namespace Cohort.Client;

/// <summary>
/// One operation on one resource, as the wire carries it: <c>{"resource":"kv:users","op":{"put":{"key":"k","value":V}}}</c>.
/// Build them with <see cref="CohortOps"/>.
/// </summary>
/// <param name="Resource">The resource name (<c>kv:users</c>, <c>sql:default@127.0.0.1:7002</c>, <c>pg:orders</c>, …).</param>
/// <param name="Op">The operation object, one key naming the operation (or a SQL statement object).</param>
public readonly record struct CohortOperation(string Resource, Value Op)
{
    /// <summary>The wire form <c>{"resource","op"}</c>.</summary>
    /// <returns>The operation as a value.</returns>
    public Value ToValue() => Value.Map(("resource", Resource), ("op", Op));

    /// <inheritdoc/>
    public override string ToString() => ValueJson.Serialize(ToValue());
}
