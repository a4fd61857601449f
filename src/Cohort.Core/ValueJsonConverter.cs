using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cohort.Core;

/// <summary>System.Text.Json converter for <see cref="Value"/> using the <see cref="ValueJson"/> mapping.</summary>
public sealed class ValueJsonConverter : JsonConverter<Value>
{
    /// <inheritdoc/>
    public override bool HandleNull => true;

    /// <inheritdoc/>
    public override Value Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => ValueJson.Read(ref reader);

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, Value value, JsonSerializerOptions options) => ValueJson.Write(writer, value);
}
