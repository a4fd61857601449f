using Cohort.Coordination;
using Cohort.Core;
using Microsoft.Extensions.Logging;

namespace Cohort.Cluster;

public sealed partial class ClusterAgent
{
    // How often a membership change is computed again after the directory's list moved under it.
    private const int MembershipWriteAttempts = 5;

    /// <summary>
    /// Master only: adds the node that sent <paramref name="joiner"/> to the membership (a no-op when it is a member)
    /// and returns this node's state, which the joiner adopts.
    /// </summary>
    /// <exception cref="CohortException"><c>no_leader</c> when this node is not the master.</exception>
    public async Task<HeartbeatMessage> JoinAsync(HeartbeatMessage joiner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(joiner);
        await AddMemberAsync(joiner.Address, "Joining", cancellationToken).ConfigureAwait(false);
        Observe(joiner, sentAt: null);
        return LocalState();
    }

    /// <summary>Master only: adds <paramref name="address"/> to the membership; it counts as alive once heard from.</summary>
    /// <returns>False when it was a member already.</returns>
    public Task<bool> AddAsync(string address, CancellationToken cancellationToken = default) => AddMemberAsync(address, "Adding a node", cancellationToken);

    /// <summary>
    /// Master only: removes <paramref name="address"/> from the membership. Refused (<c>resources_homed</c>) while the
    /// node homes resources other than its default shard, unless <paramref name="force"/>; those resources then have
    /// no home until the node joins again.
    /// </summary>
    /// <returns>False when it was not a member.</returns>
    public Task<bool> RemoveAsync(string address, bool force, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        return ChangeMembersAsync("Removing a node", (members, view) =>
        {
            if (address == Self)
            {
                throw new CohortException(ErrorCodes.BadOperation, $"{Self} is the master and cannot remove itself; stop it and remove it from the new master.", isTransient: false);
            }

            if (!members.Contains(address))
            {
                return null;
            }

            var homed = view is not null
                ? view.Homes.Where(h => h.Value == address && !IsDefaultShard(h.Key)).Select(h => h.Key).Order(StringComparer.Ordinal).ToList()
                : _peers[address].Resources.Where(r => !IsDefaultShard(r)).ToList();
            if (homed.Count > 0 && !force)
            {
                throw new CohortException(
                    ErrorCodes.ResourcesHomed,
                    $"Node {address} still homes {string.Join(", ", homed)}; move or drop them first, or remove it with force (they then have no home until it joins again).",
                    isTransient: false);
            }

            return [.. members.Where(m => m != address)];
        }, cancellationToken);
    }

    /// <summary>
    /// Joins the cluster through the seeds (and any known member, and the elected leader): the first that answers passes
    /// the request to the master, whose state this node adopts (with a directory, the directory shows the new membership
    /// instead). Returns whether it joined.
    /// </summary>
    public async Task<bool> TryJoinAsync(CancellationToken cancellationToken)
    {
        List<string> contacts;
        lock (_sync)
        {
            IEnumerable<string> known = _options.Seeds.Concat(_members);
            if (_options.Election?.Leader is { } leader)
            {
                known = known.Prepend(leader);
            }

            contacts = [.. known.Where(a => a != Self).Distinct(StringComparer.Ordinal)];
        }

        foreach (var contact in contacts)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_options.Heartbeat * (_options.Misses + 1));
                var state = await _transport.JoinAsync(contact, LocalState(), timeout.Token).ConfigureAwait(false);
                lock (_sync)
                {
                    // The master's list names the joiner now: take it whatever its version (this node's own list,
                    // from --nodes, may carry the same version without being the cluster's).
                    if (_options.Directory is null && state.Members.Contains(Self, StringComparer.Ordinal) && state.MembersVersion >= _membersVersion)
                    {
                        AdoptMembersLocked(state.MembersVersion, state.Members);
                    }
                }

                Observe(state, sentAt: null);
                if (IsMember)
                {
                    Log.Joined(_logger, Self, contact);
                    return true;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
            {
                Log.JoinFailed(_logger, contact, e.Message);
            }
        }

        return false;
    }

    private Task<bool> AddMemberAsync(string address, string what, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        return ChangeMembersAsync(what, (members, _) => members.Contains(address) ? null : [.. members, address], cancellationToken);
    }

    /// <summary>
    /// Master only: applies <paramref name="change"/> (given the members and, with a directory, its view; null when
    /// nothing is to change) to the membership: in place, or through the directory with a fenced write, computed again
    /// when the directory's list moved meanwhile. Returns whether the membership changed.
    /// </summary>
    private async Task<bool> ChangeMembersAsync(
        string what,
        Func<IReadOnlySet<string>, ClusterDirectoryView?, IReadOnlyList<string>?> change,
        CancellationToken cancellationToken)
    {
        if (_options.Directory is not { } directory)
        {
            lock (_sync)
            {
                ThrowUnlessLeaderLocked(what);
                if (change(_members, null) is not { } next)
                {
                    return false;
                }

                AdoptMembersLocked(_membersVersion + 1, next);
            }

            _ = HeartbeatRoundAsync(CancellationToken.None);
            return true;
        }

        for (var attempt = 1; ; attempt++)
        {
            long epoch;
            long version;
            IReadOnlyList<string>? next;
            lock (_sync)
            {
                ThrowUnlessLeaderLocked(what);
                epoch = _claimedEpoch;
                var view = directory.View ?? throw new CohortException(ErrorCodes.Unavailable, "The membership has not been read from the directory yet; retry.", isTransient: true);

                // Before the first leader recorded one, the membership is the one this node started with.
                version = view.MembersVersion;
                next = change(version == 0 ? _members : new SortedSet<string>(view.Members, StringComparer.Ordinal), view);
            }

            if (next is null)
            {
                return false;
            }

            try
            {
                await directory.WriteMembersAsync(epoch, version, next, cancellationToken).ConfigureAwait(false);
                _ = HeartbeatRoundAsync(CancellationToken.None);
                return true;
            }
            catch (CohortException e) when (e.Code == ErrorCodes.Unavailable && attempt < MembershipWriteAttempts && directory.View?.MembersVersion != version)
            {
                // The list moved under this change: compute it again against the new one.
            }
        }
    }

    /// <summary>
    /// With a directory that holds no membership yet (a new cluster): the first leader records the one it started with,
    /// retrying while it still leads at <paramref name="epoch"/>.
    /// </summary>
    private async Task RecordMembershipAsync(long epoch)
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), jitter: 0.5);
        while (_options.Directory is { View: { MembersVersion: 0 } } && IsLeader && ((ILeadership)this).Epoch == epoch)
        {
            try
            {
                if (await ChangeMembersAsync("Recording the membership", (members, view) => view?.MembersVersion == 0 ? [.. members] : null, CancellationToken.None).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (CohortException e) when (e.IsTransient)
            {
                Log.MembershipNotRecorded(_logger, e.Message);
            }

            await Task.Delay(backoff.Next(), _time).ConfigureAwait(false);
        }
    }

    // Adopts the directory's membership whenever it differs; placement is rebuilt from the directory's homes.
    private void FollowDirectory()
    {
        if (_options.Directory?.View is not { } view)
        {
            return;
        }

        lock (_sync)
        {
            InvalidatePlacement();
            if (view.MembersVersion > 0 && (view.MembersVersion != _membersVersion || !_members.SetEquals(view.Members)))
            {
                AdoptMembersLocked(view.MembersVersion, view.Members);
            }
        }
    }

    private void ThrowUnlessLeaderLocked(string what)
    {
        if (!IsLeaderLocked())
        {
            throw NotMaster(what);
        }
    }
}
