using System.Collections.Immutable;
using System.Text.Json;
using Cohort.Core;

namespace Cohort.Cluster;

/// <summary>
/// The configuration of one replicated resource (PacificA's primary/backup): the node holding its primary, the
/// in-sync secondaries, and the version of this configuration. Configurations are changed only by the cluster's leader,
/// one version at a time (see <see cref="IResourceConfigurations"/>).
/// </summary>
/// <remarks>
/// Equality is by value over every member, the replicas compared in order (ordinal). The constructor and
/// <c>with</c> copy <see cref="Replicas"/>, so a configuration never changes after it was made; it does not check
/// the rules (<see cref="Validate"/> and <see cref="Create"/> do).
/// </remarks>
/// <param name="Resource">The resource's name (<c>kv:users</c>).</param>
/// <param name="Version">The configuration's version: 1 when created, one more with each change.</param>
/// <param name="Primary">The address of the node holding the primary.</param>
/// <param name="Replicas">The addresses of the in-sync secondaries, in the order given; never the primary, no two alike.</param>
public sealed record ResourceConfiguration(string Resource, long Version, string Primary, IReadOnlyList<string> Replicas)
{
    /// <summary>The in-sync secondaries (a copy of what was given, in its order).</summary>
    public IReadOnlyList<string> Replicas { get; init => field = Freeze(value); } = Freeze(Replicas);

    /// <summary>Every node holding the resource: the primary, then the replicas in their order.</summary>
    public IReadOnlyList<string> Members => [Primary, .. Replicas];

    /// <summary>
    /// How many copies the resource is meant to have (primary included): while it has fewer — a replica failed and was
    /// taken out — its primary catches up another node to make them whole again. When not set, the current member count.
    /// </summary>
    public int Factor { get => _factor > 0 ? _factor : Members.Count; init => _factor = value; }

    // 0 while not set (the factor follows the member count).
    private readonly int _factor;

    /// <summary>
    /// The version at which <see cref="Primary"/> took office (its term): it stays while later versions only change the
    /// replicas. A primary ships under its term, and a replica that has seen a higher term refuses it — a primary that
    /// was replaced is fenced, one whose replica set changed is not. When not set, <see cref="Version"/>.
    /// </summary>
    public long Term { get => field > 0 ? field : Version; init => field = value; }

    /// <summary>Makes a configuration and checks it (<see cref="Validate"/>).</summary>
    /// <param name="resource">The resource's name.</param>
    /// <param name="version">The version, 1 or more.</param>
    /// <param name="primary">The primary's node.</param>
    /// <param name="replicas">The in-sync secondaries.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="ArgumentException">A rule of <see cref="Validate"/> is broken.</exception>
    public static ResourceConfiguration Create(string resource, long version, string primary, IEnumerable<string> replicas)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        var configuration = new ResourceConfiguration(resource, version, primary, [.. replicas]);
        configuration.Validate();
        return configuration;
    }

    /// <summary>The configuration that follows this one: the same resource at the next version, with <paramref name="primary"/> and <paramref name="replicas"/>.</summary>
    /// <param name="primary">The next primary.</param>
    /// <param name="replicas">The next in-sync secondaries.</param>
    /// <returns>The next configuration, checked (<see cref="Validate"/>).</returns>
    /// <exception cref="ArgumentException">A rule of <see cref="Validate"/> is broken.</exception>
    /// <remarks>The <see cref="Factor"/> carries over, and the <see cref="Term"/> while the primary stays.</remarks>
    public ResourceConfiguration Next(string primary, IEnumerable<string> replicas)
    {
        var next = Create(Resource, Version + 1, primary, replicas) with
        {
            Factor = _factor,
            Term = string.Equals(primary, Primary, StringComparison.Ordinal) ? Term : 0,
        };
        next.Validate();
        return next;
    }

    /// <summary>
    /// Checks the rules: a resource name, a primary and replicas that are not empty, a version of 1 or more, no replica
    /// twice, and the primary not among the replicas (names compared ordinal).
    /// </summary>
    /// <exception cref="ArgumentException">Naming the broken rule.</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Resource, nameof(Resource));
        ArgumentOutOfRangeException.ThrowIfLessThan(Version, 1, nameof(Version));
        ArgumentException.ThrowIfNullOrWhiteSpace(Primary, nameof(Primary));
        if (Term > Version)
        {
            throw new ArgumentException($"{Resource}: term {Term} is after version {Version}.", nameof(Term));
        }

        if (Factor < Members.Count)
        {
            throw new ArgumentException($"{Resource}: {Members.Count} members, more than its factor of {Factor} copies.", nameof(Factor));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var replica in Replicas)
        {
            if (string.IsNullOrWhiteSpace(replica))
            {
                throw new ArgumentException($"{Resource}: a replica's name is empty.", nameof(Replicas));
            }

            if (string.Equals(replica, Primary, StringComparison.Ordinal))
            {
                throw new ArgumentException($"{Resource}: the primary {Primary} is among the replicas too.", nameof(Replicas));
            }

            if (!seen.Add(replica))
            {
                throw new ArgumentException($"{Resource}: replica {replica} is named twice.", nameof(Replicas));
            }
        }
    }

    /// <summary>Whether <paramref name="other"/> is the same configuration: every member equal, the replicas in the same order.</summary>
    /// <param name="other">Another configuration.</param>
    /// <returns>True when equal.</returns>
    public bool Equals(ResourceConfiguration? other) =>
        other is not null
        && (ReferenceEquals(this, other)
            || (Version == other.Version
                && Factor == other.Factor
                && Term == other.Term
                && string.Equals(Resource, other.Resource, StringComparison.Ordinal)
                && string.Equals(Primary, other.Primary, StringComparison.Ordinal)
                && Replicas.SequenceEqual(other.Replicas, StringComparer.Ordinal)));

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Resource, StringComparer.Ordinal);
        hash.Add(Version);
        hash.Add(Factor);
        hash.Add(Term);
        hash.Add(Primary, StringComparer.Ordinal);
        foreach (var replica in Replicas)
        {
            hash.Add(replica, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    /// <summary>The configuration in words: <c>kv:a v3: primary 127.0.0.1:7001, replicas [127.0.0.1:7002]</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{Resource} v{Version}: primary {Primary}, replicas [{string.Join(", ", Replicas)}]";

    /// <summary>
    /// The stored form, UTF-8 JSON:
    /// <c>{"resource":"kv:a","version":3,"primary":"127.0.0.1:7001","replicas":["127.0.0.1:7002"]}</c>.
    /// </summary>
    /// <returns>The bytes.</returns>
    public byte[] Encode()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("resource", Resource);
            writer.WriteNumber("version", Version);
            writer.WriteString("primary", Primary);
            writer.WriteStartArray("replicas");
            foreach (var replica in Replicas)
            {
                writer.WriteStringValue(replica);
            }

            writer.WriteEndArray();
            if (_factor > 0)
            {
                writer.WriteNumber("factor", _factor);
            }

            if (Term != Version)
            {
                writer.WriteNumber("term", Term);
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads <see cref="Encode"/>'s form back, and checks it (<see cref="Validate"/>); other members of the object are ignored.</summary>
    /// <param name="json">UTF-8 JSON.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="CohortException"><c>corruption</c> for bytes of another shape, or a configuration that breaks a rule.</exception>
    public static ResourceConfiguration Decode(ReadOnlyMemory<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var resource = RequiredString(root, "resource");
            var version = root.GetProperty("version").GetInt64();
            var primary = RequiredString(root, "primary");
            var replicas = root.GetProperty("replicas").EnumerateArray().Select(e => e.GetString() ?? throw new FormatException("a replica is null")).ToList();
            var configuration = Create(resource, version, primary, replicas);
            if (root.TryGetProperty("factor", out var factor))
            {
                configuration = configuration with { Factor = factor.GetInt32() };
            }

            if (root.TryGetProperty("term", out var term))
            {
                configuration = configuration with { Term = term.GetInt64() };
            }

            configuration.Validate();

            return configuration;
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new CohortException(
                ErrorCodes.Corruption,
                $"A stored resource configuration is not {{\"resource\":…,\"version\":n,\"primary\":…,\"replicas\":[…]}} with valid values: {e.Message}",
                isTransient: false,
                e);
        }
    }

    private static string RequiredString(JsonElement root, string name) =>
        root.GetProperty(name).GetString() ?? throw new FormatException($"\"{name}\" is null");

    private static IReadOnlyList<string> Freeze(IReadOnlyList<string> replicas)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        return replicas is ImmutableArray<string> { IsDefault: false } ? replicas : ImmutableArray.CreateRange(replicas);
    }
}
