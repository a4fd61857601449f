using System.Globalization;
using Cohort.Core;

namespace Cohort.Cli;

/// <summary>
/// An answer that ends a <c>cohort bench</c> run at once: every further transaction would get it too (the request
/// names an unknown resource or an operation the resource does not take, the token is missing or wrong, the body is too
/// large). Conflicts, expiries and an unavailable master are not final: the run counts them and goes on.
/// </summary>
internal sealed class BenchStoppedException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    /// <summary>Throws when <paramref name="status"/> is an answer no retry can change.</summary>
    public static void ThrowIfFinal(int status, Value problem)
    {
        if (status is 400 or 401 or 403 or 404 or 413)
        {
            var code = problem.Kind == ValueKind.Map && problem.TryGetField("code", out var c) && c.Kind == ValueKind.String ? c.AsString() : $"http_{status.ToString(CultureInfo.InvariantCulture)}";
            var detail = problem.Kind == ValueKind.Map && problem.TryGetField("detail", out var d) && d.Kind == ValueKind.String ? d.AsString() : ValueJson.Serialize(problem);
            throw new BenchStoppedException(status, code, $"{status.ToString(CultureInfo.InvariantCulture)} {code}: {detail}");
        }
    }

    /// <summary>The same failure, saying when the run stopped.</summary>
    public BenchStoppedException After(TimeSpan elapsed) =>
        new(Status, Code, string.Create(CultureInfo.InvariantCulture, $"stopped after {elapsed.TotalSeconds:0.0} s: {Message}"));
}
