using Cohort.Core;

namespace Cohort.Client;

/// <summary>One key and its value, from a KV scan.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The value.</param>
public readonly record struct KvEntry(string Key, Value Value);
