using System.Globalization;

namespace Cohort.IntegrationTests.Harness;

/// <summary>Knobs a test reads from the environment (durations, seeds), with their defaults.</summary>
internal static class TestSettings
{
    /// <summary>The integer in environment variable <paramref name="name"/>, or <paramref name="fallback"/> when unset , not a number or negative.</summary>
    public static int Int(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0 ? value : fallback;
}
