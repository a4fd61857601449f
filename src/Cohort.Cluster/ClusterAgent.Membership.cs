using Cohort.Coordination;
using Cohort.Core;
using Microsoft.Extensions.Logging;

namespace Cohort.Cluster;

public sealed partial class ClusterAgent
{
    /// <summary>
    /// Master only: adds the node that sent <paramref name="joiner"/> to the membership (a no-op when it is a member)
    /// and returns this node's state, which the joiner adopts.
    /// </summary>
    /// <exception cref="CohortException"><c>unavailable</c> when this node is not the master.</exception>
    public HeartbeatMessage Join(HeartbeatMessage joiner)
    {
        ArgumentNullException.ThrowIfNull(joiner);
        AddMember(joiner.Address, "join");
        Observe(joiner, sentAt: null);
        return LocalState();
    }

    /// <summary>Master only: adds <paramref name="address"/> to the membership; it counts as alive once heard from.</summary>
    /// <returns>False when it was a member already.</returns>
    public bool Add(string address) => AddMember(address, "add");

    /// <summary>
    /// Master only: removes <paramref name="address"/> from the membership. Refused (<c>resources_homed</c>) while the
    /// node homes resources other than its default shard, unless <paramref name="force"/>; those resources then have
    /// no home until the node joins again.
    /// </summary>
    /// <returns>False when it was not a member.</returns>
    public bool Remove(string address, bool force)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        lock (_sync)
        {
            ThrowUnlessLeaderLocked("Removing a node");
            if (address == Self)
            {
                throw new CohortException(ErrorCodes.BadOperation, $"{Self} is the master and cannot remove itself; stop it and remove it from the new master.", isTransient: false);
            }

            if (!_members.Contains(address))
            {
                return false;
            }

            var homed = _peers[address].Resources.Where(r => !IsDefaultShard(r)).ToList();
            if (homed.Count > 0 && !force)
            {
                throw new CohortException(
                    ErrorCodes.ResourcesHomed,
                    $"Node {address} still homes {string.Join(", ", homed)}; move or drop them first, or remove it with force (they then have no home until it joins again).",
                    isTransient: false);
            }

            var members = _members.Where(m => m != address).ToList();
            AdoptMembersLocked(_membersVersion + 1, members);
        }

        _ = HeartbeatRoundAsync(CancellationToken.None);
        return true;
    }

    /// <summary>
    /// Joins the cluster through the seeds (and any known member): the first that answers passes the request to the
    /// master, whose state this node adopts. Returns whether it joined.
    /// </summary>
    public async Task<bool> TryJoinAsync(CancellationToken cancellationToken)
    {
        List<string> contacts;
        lock (_sync)
        {
            contacts = [.. _options.Seeds.Concat(_members).Where(a => a != Self).Distinct(StringComparer.Ordinal)];
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
                    if (state.Members.Contains(Self, StringComparer.Ordinal) && state.MembersVersion >= _membersVersion)
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

    private bool AddMember(string address, string how)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        lock (_sync)
        {
            ThrowUnlessLeaderLocked(how == "join" ? "Joining" : "Adding a node");
            if (_members.Contains(address))
            {
                return false;
            }

            AdoptMembersLocked(_membersVersion + 1, [.. _members, address]);
        }

        _ = HeartbeatRoundAsync(CancellationToken.None);
        return true;
    }

    private void ThrowUnlessLeaderLocked(string what)
    {
        if (!IsLeaderLocked())
        {
            throw NotMaster(what);
        }
    }
}
