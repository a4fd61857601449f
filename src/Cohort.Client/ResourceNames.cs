namespace Cohort.Client;

/// <summary>Checks that a typed client is given a resource of its kind, so a mix-up fails early and clearly.</summary>
internal static class ResourceNames
{
    public static string Check(string resource, string prefix)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resource);
        return resource.StartsWith(prefix, StringComparison.Ordinal) && resource.Length > prefix.Length
            ? resource
            : throw new ArgumentException($"'{resource}' is not a {prefix.TrimEnd(':')} resource; its name must start with '{prefix}'.", nameof(resource));
    }
}
