using Cohort.Cluster;
using Cohort.Coordination;

namespace Cohort.Tests.Cluster;

/// <summary>
/// The embedded election and membership on agents wired by an in-memory network and a fake clock: each step every
/// running agent heartbeats everyone, evaluates, and the clock moves one interval.
/// </summary>
public sealed class ClusterAgentTests : IDisposable
{
    private static readonly TimeSpan Beat = TimeSpan.FromSeconds(1);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
    private readonly Network _network = new();
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ThreeNodes_ElectTheLowestAddress_AndAllAgreeOnMasterAndEpoch()
    {
        var agents = Start("n1", "n2", "n3");
        await StepAsync(3);

        foreach (var agent in agents)
        {
            Assert.Equal("n1", agent.Master);
            Assert.Equal(agents[0].Epoch, agent.Epoch);
        }

        Assert.True(agents[0].IsLeader);
        Assert.False(agents[1].IsLeader);
        Assert.False(agents[2].IsLeader);
        Assert.True(agents[0].Epoch >= 1);
    }

    [Fact]
    public async Task MasterDies_NextLowestTakesOverWithinThreeIntervals_WithAHigherEpoch()
    {
        var agents = Start("n1", "n2", "n3");
        await StepAsync(3);
        var before = agents[1].Epoch;

        _network.Kill("n1");
        var intervals = 0;
        while (!(agents[1].IsLeader && agents[2].Master == "n2"))
        {
            await StepAsync(1, quarter: true);
            intervals++;
            Assert.True(intervals <= 12, "n2 did not take over within 3 heartbeat intervals");
        }

        Assert.True(agents[1].Epoch > before);
        Assert.Equal(agents[1].Epoch, agents[2].Epoch);
    }

    [Fact]
    public async Task LowerAddressRejoining_DoesNotDeposeTheLiveMaster()
    {
        var agents = Start("n1", "n2", "n3");
        await StepAsync(3);
        _network.Kill("n1");
        await StepAsync(4);
        Assert.Equal("n2", agents[1].Master);
        var epoch = agents[1].Epoch;

        var reborn = Restart("n1");
        await StepAsync(4);

        Assert.Equal("n2", reborn.Master);
        Assert.False(reborn.IsMaster);
        Assert.True(agents[1].IsLeader);
        Assert.Equal(epoch, agents[1].Epoch);
    }

    [Fact]
    public async Task MasterRestartedBeforeAnyoneNoticed_LeadsAgainUnderANewEpoch()
    {
        var agents = Start("n1", "n2");
        await StepAsync(3);
        var epoch = agents[0].Epoch;

        _network.Kill("n1");
        var reborn = Restart("n1");
        await StepAsync(2);

        Assert.True(reborn.IsLeader);
        Assert.True(reborn.Epoch > epoch);
        Assert.Equal("n1", agents[1].Master);
        Assert.Equal(reborn.Epoch, agents[1].Epoch);
    }

    [Fact]
    public async Task PausedMaster_IsNotLeaderOnResume_AndStepsDownAtItsFirstExchange()
    {
        var agents = Start("n1", "n2", "n3");
        await StepAsync(3);
        Assert.True(agents[0].IsLeader);
        var claimed = ((ILeadership)agents[0]).Epoch;
        Assert.Equal(agents[0].Epoch, claimed);

        _network.Pause("n1");
        await StepAsync(4);
        Assert.True(agents[1].IsLeader);
        Assert.Equal("n2", agents[2].Master);

        _network.Resume("n1");

        // Before it has heard from anyone again it starts no work ...
        Assert.False(agents[0].IsLeader);

        // ... and hearing from anyone deposes it.
        await agents[0].HeartbeatRoundAsync();
        Assert.False(agents[0].IsMaster);
        Assert.Equal("n2", agents[0].Master);
        Assert.Equal(agents[1].Epoch, agents[0].Epoch);

        // Its coordinator keeps stamping the epoch of its own claim, which participants now refuse — never the
        // successor's.
        Assert.Equal(claimed, ((ILeadership)agents[0]).Epoch);
        Assert.True(((ILeadership)agents[1]).Epoch > claimed);
    }

    [Fact]
    public async Task HeartbeatThatCompletesLongAfterItsTimeout_DoesNotConfirmTheMaster()
    {
        // A heartbeat in flight when the master was paused (SIGSTOP, a long stall) finishes at resume, with an answer
        // the others gave before they could know of any successor. It must not count as a recent exchange: a master
        // resumed within its confirmation window would otherwise begin transactions (seen in CI: participants then
        // refused them as stale, but the master should not have begun them).
        var agents = Start("n1", "n2", "n3");
        await StepAsync(3);
        Assert.True(agents[0].IsLeader);

        _network.Hold("n1");
        var round = agents[0].HeartbeatRoundAsync();
        _network.Pause("n1");
        _time.Advance(Beat * 2.5);
        _network.Resume("n1");
        _network.Release();
        await round;

        Assert.True(agents[0].IsMaster);
        Assert.False(agents[0].IsLeader);

        // Its next exchange, promptly answered, confirms it again (nobody else took over meanwhile).
        await agents[0].HeartbeatRoundAsync();
        Assert.True(agents[0].IsLeader);
    }

    [Fact]
    public async Task EpochChanges_AreReportedToTheNode()
    {
        var seen = new List<long>();
        var agents = Start("n1", "n2");
        agents[1].EpochChanged += seen.Add;
        await StepAsync(3);
        _network.Kill("n1");
        await StepAsync(4);

        Assert.Equal(agents[1].Epoch, seen[^1]);
        Assert.True(seen.Count >= 2);
    }

    [Fact]
    public async Task NodeNotInItsSeeds_JoinsThroughThem_AndEveryoneLearnsIt()
    {
        var agents = Start("n1", "n2");
        await StepAsync(3);

        var joiner = _network.Add(NewAgent("n5", ["n2"]));
        await StepAsync(3);

        Assert.True(joiner.IsMember);
        Assert.Equal("n1", joiner.Master);
        Assert.All(agents, a => Assert.Contains(a.Members, m => m.Address == "n5" && m.Alive));
        Assert.Equal(agents[0].MembersVersion, joiner.MembersVersion);
        Assert.True(joiner.MembersVersion >= 1);
    }

    [Fact]
    public async Task Remove_RefusesANodeHomingResources_UnlessForced_AndTheRemovedNodeLeaves()
    {
        var agents = Start(("n1", []), ("n2", []), ("n3", ["kv:users"]));
        await StepAsync(3);

        var refused = await Assert.ThrowsAsync<CohortException>(() => agents[0].RemoveAsync("n3", force: false));
        Assert.Equal(ErrorCodes.ResourcesHomed, refused.Code);
        Assert.Contains("kv:users", refused.Message);

        Assert.True(await agents[0].RemoveAsync("n2", force: false));
        await StepAsync(2);
        Assert.DoesNotContain(agents[0].Members, m => m.Address == "n2");
        Assert.DoesNotContain("n2", agents[2].AliveMembers);
        Assert.False(agents[1].IsMember);

        Assert.True(await agents[0].RemoveAsync("n3", force: true));
        await StepAsync(2);
        Assert.Null(agents[0].NodeOf("kv:users"));
    }

    [Fact]
    public async Task MembershipAndEpoch_SurviveARestart()
    {
        var agents = Start("n1", "n2");
        await StepAsync(3);
        await agents[0].AddAsync("n7");
        await StepAsync(1);
        var version = agents[1].MembersVersion;
        var epoch = agents[1].Epoch;

        _network.Kill("n2");
        var reborn = Restart("n2");
        Assert.Equal(version, reborn.MembersVersion);
        Assert.Equal(epoch, reborn.Epoch);
        Assert.Contains(reborn.Members, m => m.Address == "n7");
    }

    [Fact]
    public async Task Placement_KnowsEveryHome_AndPicksTheLeastLoadedAliveNode()
    {
        var agents = Start(("n1", ["kv:a", "kv:b"]), ("n2", ["queue:q"]), ("n3", []));
        await StepAsync(2);

        Assert.Equal("n1", agents[2].NodeOf("kv:b"));
        Assert.Equal("n2", agents[0].NodeOf("queue:q"));
        Assert.Equal("n3", agents[0].NodeOf("sql:default@n3"));
        Assert.Equal("n1", agents[0].NodeOf("sql:default"));
        Assert.Equal("n3", agents[0].LeastLoaded());

        _network.Kill("n3");
        await StepAsync(4);
        Assert.Equal("n2", agents[0].LeastLoaded());
    }

    [Fact]
    public void Election_Rule()
    {
        Assert.Equal("b", Election.Choose("b", ["a", "b", "c"]));
        Assert.Equal("a", Election.Choose("z", ["c", "a", "b"]));
        Assert.Equal("a", Election.Choose(null, ["c", "a"]));
        Assert.Null(Election.Choose("a", []));
        Assert.True(Election.Supersedes(3, "z", 2, "a"));
        Assert.True(Election.Supersedes(3, "a", 3, "b"));
        Assert.False(Election.Supersedes(3, "b", 3, "a"));
        Assert.False(Election.Supersedes(2, "a", 3, "b"));
        Assert.True(Election.Supersedes(1, "a", 1, null));
    }

    private List<ClusterAgent> Start(params string[] names) => Start([.. names.Select(n => (n, Array.Empty<string>()))]);

    private List<ClusterAgent> Start(params (string Name, string[] Resources)[] nodes)
    {
        var seeds = nodes.Select(n => n.Name).ToArray();
        return [.. nodes.Select(n => _network.Add(NewAgent(n.Name, seeds, n.Resources)))];
    }

    private ClusterAgent Restart(string name)
    {
        var old = _network.Agent(name);
        var agent = NewAgent(name, old.Options.Seeds, []);
        _network.Replace(agent);
        return agent;
    }

    private ClusterAgent NewAgent(string name, IReadOnlyList<string> seeds, string[]? resources = null)
    {
        var local = resources ?? [];
        return new ClusterAgent(
            new ClusterOptions { Self = name, Seeds = seeds, Heartbeat = Beat, Misses = 2, DataDirectory = Path.Combine(_dir.Path, name), Fsync = false },
            _network,
            () => local,
            () => 0,
            _time);
    }

    // Each step: every running agent joins if needed, heartbeats, evaluates; then the clock moves an interval (or a quarter).
    private async Task StepAsync(int steps, bool quarter = false)
    {
        for (var i = 0; i < steps; i++)
        {
            foreach (var agent in _network.Running())
            {
                await agent.BeatAsync(CancellationToken.None);
            }

            foreach (var agent in _network.Running())
            {
                agent.Evaluate();
            }

            _time.Advance(quarter ? Beat / 4 : Beat);
        }
    }

    private sealed class Network : IClusterTransport
    {
        private readonly Dictionary<string, ClusterAgent> _agents = new(StringComparer.Ordinal);
        private readonly HashSet<string> _down = new(StringComparer.Ordinal);
        private readonly HashSet<string> _paused = new(StringComparer.Ordinal);
        private readonly List<(TaskCompletionSource<HeartbeatMessage> Done, HeartbeatMessage Reply)> _held = [];
        private string? _holding;

        public ClusterAgent Add(ClusterAgent agent)
        {
            _agents[agent.Self] = agent;
            return agent;
        }

        public void Replace(ClusterAgent agent)
        {
            _down.Remove(agent.Self);
            _agents[agent.Self] = agent;
        }

        public ClusterAgent Agent(string name) => _agents[name];

        public void Kill(string name) => _down.Add(name);

        public void Pause(string name) => _paused.Add(name);

        public void Resume(string name) => _paused.Remove(name);

        // Heartbeats sent by the held node are answered at once but delivered to it only at Release.
        public void Hold(string name)
        {
            _holding = name;
            _held.Clear();
        }

        public void Release()
        {
            _holding = null;
            foreach (var (done, reply) in _held)
            {
                done.SetResult(reply);
            }

            _held.Clear();
        }

        public IEnumerable<ClusterAgent> Running() => [.. _agents.Values.Where(a => !_down.Contains(a.Self) && !_paused.Contains(a.Self))];

        public Task<HeartbeatMessage> HeartbeatAsync(string address, HeartbeatMessage message, CancellationToken cancellationToken)
        {
            Reachable(message.Address, address);
            var reply = _agents[address].OnHeartbeat(message);
            if (message.Address != _holding)
            {
                return Task.FromResult(reply);
            }

            var done = new TaskCompletionSource<HeartbeatMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            _held.Add((done, reply));
            return done.Task;
        }

        public Task<HeartbeatMessage> JoinAsync(string address, HeartbeatMessage joiner, CancellationToken cancellationToken)
        {
            Reachable(joiner.Address, address);
            var target = _agents[address];
            if (!target.IsLeader)
            {
                var master = target.Master ?? throw new CohortException("unavailable", "no master", isTransient: true);
                Reachable(address, master);
                target = _agents[master];
            }

            return target.JoinAsync(joiner, cancellationToken);
        }

        private void Reachable(string from, string to)
        {
            if (!_agents.ContainsKey(to) || _down.Contains(to) || _paused.Contains(to) || _down.Contains(from) || _paused.Contains(from))
            {
                throw new HttpRequestException($"{to} is unreachable from {from}");
            }
        }
    }
}
