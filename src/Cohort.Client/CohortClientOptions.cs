namespace Cohort.Client;

/// <summary>How a <see cref="CohortClient"/> finds and talks to a cluster.</summary>
public sealed class CohortClientOptions
{
    /// <summary>Default number of rounds over the known nodes before a request fails.</summary>
    public const int DefaultMaxAttempts = 6;

    /// <summary>Default first pause between rounds (doubled each round, with jitter).</summary>
    public static readonly TimeSpan DefaultInitialBackoff = TimeSpan.FromMilliseconds(100);

    /// <summary>Default longest pause between rounds.</summary>
    public static readonly TimeSpan DefaultMaxBackoff = TimeSpan.FromSeconds(2);

    /// <summary>Default time one HTTP request may take.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Default time spent finding out the outcome of a commit whose answer was lost.</summary>
    public static readonly TimeSpan DefaultCommitResolutionTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Node addresses (<c>host:port</c>, <c>http://host:port</c> or <c>https://host:port</c>). Any node serves every call
    /// (a non-master forwards to the master); the client tries them in order when one cannot be reached. When any is
    /// <c>https://</c>, or <see cref="CaCertificatePath"/> is set, the cluster is taken to serve TLS: bare addresses,
    /// and those learnt from it (the master's), are called over https.
    /// </summary>
    public IReadOnlyList<string> Addresses { get; set; } = [];

    /// <summary>
    /// The CA certificates (a PEM file) that the nodes' https certificates must chain to, for a cluster with a private
    /// CA (the nodes' <c>--tls-ca</c>); null to trust the machine's trust store. Used by the handler the client makes
    /// (<see cref="CohortClient.CreateHttpHandler"/>), not by an <see cref="HttpClient"/> given to it.
    /// </summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>The cluster's bearer token, or null when it has none.</summary>
    public string? AuthToken { get; set; }

    /// <summary>
    /// Whether the client asks the cluster who the master is (<c>/cluster/nodes</c>) and talks to it directly, saving the
    /// forwarding hop; the given addresses remain the fallback.
    /// </summary>
    public bool DiscoverLeader { get; set; } = true;

    /// <summary>Rounds over the known nodes for a request that meets only unreachable or unavailable nodes.</summary>
    public int MaxAttempts { get; set; } = DefaultMaxAttempts;

    /// <summary>First pause between rounds.</summary>
    public TimeSpan InitialBackoff { get; set; } = DefaultInitialBackoff;

    /// <summary>Longest pause between rounds.</summary>
    public TimeSpan MaxBackoff { get; set; } = DefaultMaxBackoff;

    /// <summary>Time one HTTP request may take (used when the client creates its own <see cref="HttpClient"/>).</summary>
    public TimeSpan RequestTimeout { get; set; } = DefaultRequestTimeout;

    /// <summary>How long a commit whose answer was lost keeps asking the cluster for the outcome before it reports in-doubt.</summary>
    public TimeSpan CommitResolutionTimeout { get; set; } = DefaultCommitResolutionTimeout;

    /// <summary>Checks the options; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        if (Addresses.Count == 0)
        {
            throw new ArgumentException("At least one node address is needed.", nameof(Addresses));
        }

        foreach (var address in Addresses)
        {
            _ = CohortClient.BaseUri(address);
        }

        if (CaCertificatePath is not null)
        {
            try
            {
                _ = Protocol.TlsTrust.For(CaCertificatePath);
            }
            catch (FormatException e)
            {
                throw new ArgumentException(e.Message, nameof(CaCertificatePath), e);
            }
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAttempts, 1, nameof(MaxAttempts));
        ArgumentOutOfRangeException.ThrowIfLessThan(InitialBackoff, TimeSpan.Zero, nameof(InitialBackoff));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBackoff, InitialBackoff, nameof(MaxBackoff));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(CommitResolutionTimeout, TimeSpan.Zero, nameof(CommitResolutionTimeout));
    }
}
