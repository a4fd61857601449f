using Cohort.Coordination;

namespace Cohort.Tests.Coordination;

/// <summary>Placement from a fixed map of resource → node (a node that is down keeps its resources).</summary>
internal sealed class StaticPlacement(IReadOnlyDictionary<string, string[]> layout, IReadOnlyDictionary<string, long>? terms = null, IReadOnlyDictionary<string, string>? moved = null) : IPlacement
{
    private readonly Dictionary<string, string> _homes = layout.SelectMany(n => n.Value.Select(r => (Resource: r, Node: n.Key))).ToDictionary(x => x.Resource, x => x.Node);

    public string? NodeOf(string resource) => moved?.GetValueOrDefault(resource) ?? _homes.GetValueOrDefault(resource);

    public long TermOf(string resource) => terms?.GetValueOrDefault(resource) ?? 0;
}
