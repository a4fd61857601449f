namespace Cohort.Cluster;

/// <summary>
/// The configurations of the replicated resources (<see cref="ResourceConfiguration"/>: primary, in-sync replicas,
/// version), kept in one linearizable store (the etcd backend) that every node watches. Only the cluster's leader
/// changes them, each write fenced on its leadership epoch and on the version it was computed from, so a deposed
/// leader or a change computed from an old configuration never lands.
/// </summary>
public interface IResourceConfigurations
{
    /// <summary>
    /// The watched view: every resource's newest configuration this node has seen, by resource name. Each read returns
    /// an unchanging snapshot; the view only moves forward, in the store's order.
    /// </summary>
    IReadOnlyDictionary<string, ResourceConfiguration> Current { get; }

    /// <summary>
    /// Raised after <see cref="Current"/> moved, once per configuration that changed (the start's read counts), in the
    /// order the store applied them; never twice at once. A configuration that changed several times while the view
    /// was not watching (a broken watch replaced by a fresh read) is raised once, at its newest version.
    /// </summary>
    event Action<ResourceConfiguration>? Changed;

    /// <summary>Reads every configuration into <see cref="Current"/>, then watches them until disposed.</summary>
    /// <param name="cancellationToken">Cancels the first read.</param>
    /// <returns>A task that completes once the first read is in <see cref="Current"/>.</returns>
    /// <exception cref="Core.CohortException"><c>unavailable</c> when the store did not answer in time.</exception>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Leader only: records <paramref name="initial"/> (version 1) as the configuration of a resource that has none, if
    /// this node still leads at <paramref name="epoch"/>. Returns once <see cref="Current"/> shows it.
    /// </summary>
    /// <param name="epoch">The leadership epoch the writer holds.</param>
    /// <param name="initial">The first configuration; its <see cref="ResourceConfiguration.Version"/> must be 1.</param>
    /// <param name="cancellationToken">Cancels the wait (the write may still land).</param>
    /// <returns>The configuration written.</returns>
    /// <exception cref="ArgumentException"><paramref name="initial"/> breaks a rule of <see cref="ResourceConfiguration.Validate"/>, or its version is not 1.</exception>
    /// <exception cref="Core.CohortException">
    /// <c>no_leader</c> (transient) when this node does not lead at <paramref name="epoch"/>;
    /// <c>configuration_moved</c> (not transient) when the resource has a configuration already.
    /// Nothing was written in either case. <c>unavailable</c> when the store did not answer (the write may have landed).
    /// </exception>
    Task<ResourceConfiguration> CreateAsync(long epoch, ResourceConfiguration initial, CancellationToken cancellationToken = default);

    /// <summary>
    /// Leader only: replaces the resource's configuration with <paramref name="next"/> if the stored one is still at
    /// version <c>next.Version - 1</c> and this node still leads at <paramref name="epoch"/>. Returns once
    /// <see cref="Current"/> shows it.
    /// </summary>
    /// <param name="epoch">The leadership epoch the writer holds.</param>
    /// <param name="next">The next configuration, computed from the one at the version before it (<see cref="ResourceConfiguration.Next"/>).</param>
    /// <param name="cancellationToken">Cancels the wait (the write may still land).</param>
    /// <returns>The configuration written.</returns>
    /// <exception cref="ArgumentException"><paramref name="next"/> breaks a rule of <see cref="ResourceConfiguration.Validate"/>, or its version is below 2.</exception>
    /// <exception cref="Core.CohortException">
    /// <c>no_leader</c> (transient) when this node does not lead at <paramref name="epoch"/>;
    /// <c>configuration_moved</c> (transient) when the stored configuration is at another version (<see cref="Current"/>
    /// is caught up first: compute the change again from it); <c>unknown_resource</c> when the resource has no
    /// configuration. Nothing was written in any of these cases. <c>unavailable</c> when the store did not answer (the
    /// write may have landed).
    /// </exception>
    Task<ResourceConfiguration> ChangeAsync(long epoch, ResourceConfiguration next, CancellationToken cancellationToken = default);

    /// <summary>Reads <paramref name="resource"/>'s configuration afresh from the store (a linearizable read, not the view).</summary>
    /// <param name="resource">The resource's name.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The stored configuration, or null when it has none.</returns>
    /// <exception cref="Core.CohortException"><c>unavailable</c> when the store did not answer; <c>corruption</c> for a stored value that does not decode.</exception>
    Task<ResourceConfiguration?> ReadAsync(string resource, CancellationToken cancellationToken = default);
}
