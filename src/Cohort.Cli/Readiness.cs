using Cohort.Core;

namespace Cohort.Cli;

/// <summary>Whether a cluster is ready for transactions, as <c>cohort wait</c> checks it: one round of questions, no waiting.</summary>
internal static class Readiness
{
    /// <summary>One check's outcome: the confirmed master when ready, else why not.</summary>
    public sealed record Check(string? Master, string Reason, bool AnyAnswered, bool Unauthorized);

    public static async Task<Check> CheckAsync(CliHttp http, IReadOnlyList<string> addresses, CancellationToken cancellationToken)
    {
        // /role needs the token (only /health does not), so it also tells whether the token is accepted.
        var roles = await Task.WhenAll(addresses.Select(a => http.SendAsync(a, HttpMethod.Get, "role", null, cancellationToken))).ConfigureAwait(false);
        var anyAnswered = roles.Any(r => r.Unreachable is null);
        for (var i = 0; i < addresses.Count; i++)
        {
            var role = roles[i];
            if (role.Unreachable is { } why)
            {
                return new Check(null, why, anyAnswered, false);
            }

            if (role.IsProblem)
            {
                return new Check(null, $"node {addresses[i]}: {role.Code}: {role.Detail}", anyAnswered, role.Status is 401 or 403);
            }
        }

        var leaders = addresses.Where((_, i) => Bool(roles[i].Body, "leader")).ToList();
        var named = roles.Select(r => Str(r.Body, "master")).ToList();
        var master = leaders.Count == 1 ? leaders[0] : named.FirstOrDefault(m => m is not null);
        if (master is null)
        {
            return new Check(null, "no master is known yet (an election may be under way)", anyAnswered, false);
        }

        if (leaders.Count == 0)
        {
            // The master may not be among the listed nodes: ask it.
            var answer = await http.SendAsync(master, HttpMethod.Get, "role", null, cancellationToken).ConfigureAwait(false);
            if (answer.Unreachable is not null || answer.IsProblem || !Bool(answer.Body, "leader"))
            {
                return new Check(null, $"master {master} is not confirmed as leader yet", anyAnswered, answer.Status is 401 or 403);
            }
        }

        for (var i = 0; i < addresses.Count; i++)
        {
            if (named[i] != master)
            {
                return new Check(null, $"node {addresses[i]} follows {named[i] ?? "no master"}, not {master}", anyAnswered, false);
            }
        }

        var members = await http.SendAsync(master, HttpMethod.Get, "cluster/nodes", null, cancellationToken).ConfigureAwait(false);
        if (members.Unreachable is not null || members.IsProblem || !members.Body.TryGetField("nodes", out var list) || list.Kind != ValueKind.List)
        {
            return new Check(null, $"master {master} did not list its members: {members.Unreachable ?? members.Detail}", anyAnswered, members.Status is 401 or 403);
        }

        foreach (var address in addresses)
        {
            var alive = list.AsList().Any(m => Str(m, "address") == address && Bool(m, "alive"));
            if (!alive)
            {
                return new Check(null, $"master {master} does not see node {address} alive yet", anyAnswered, false);
            }
        }

        return new Check(master, "ready", anyAnswered, false);
    }

    private static bool Bool(Value v, string name) => v.Kind == ValueKind.Map && v.TryGetField(name, out var b) && b.Kind == ValueKind.Bool && b.AsBool();

    private static string? Str(Value v, string name) => v.Kind == ValueKind.Map && v.TryGetField(name, out var s) && s.Kind == ValueKind.String ? s.AsString() : null;
}
