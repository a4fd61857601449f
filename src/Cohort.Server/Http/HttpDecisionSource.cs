using Cohort.Coordination;
using Cohort.Core;

namespace Cohort.Server.Http;

/// <summary>A participant's way to ask the coordinator (the master) for the outcome of a prepared transaction.</summary>
internal sealed class HttpDecisionSource(NodeClient client, Func<string?> master) : IDecisionSource
{
    public async ValueTask<DecisionAnswer> QueryDecisionAsync(string? coordinator, TxId txId, CancellationToken cancellationToken)
    {
        var node = master() ?? coordinator ?? throw new CohortException(CoordinationErrorCodes.Unavailable, "No master is known.", isTransient: true);
        var answer = await client.GetAsync(node, $"internal/decision/{txId}", cancellationToken).ConfigureAwait(false);
        return WireFormat.ReadDecision(answer);
    }
}
