using System.Globalization;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;

namespace Cohort.Peers;

/// <summary>
/// The etcd peer: client c's two accounts are two keys; a transfer is one etcd <c>Txn</c> that compares both keys'
/// mod revisions with the ones the client last saw and puts both new balances (on a failed compare it re-reads both
/// and counts an abort). The client keeps the revisions its last Txn produced, so an uncontended transfer is one round
/// trip, as Cohort's one <c>/v1/batch</c> is. etcd replicates each Txn to a majority of the 3 members and fsyncs its WAL
/// before answering.
/// </summary>
internal static class EtcdPeer
{
    private sealed class Accounts
    {
        public long A;
        public long B;
        public long RevA;
        public long RevB;
    }

    public static async Task<int> RunAsync(int[] clientCounts, TimeSpan warmup, TimeSpan duration, TimeSpan warm, string endpoints)
    {
        using var etcd = new EtcdClient(endpoints, configureChannelOptions: o => o.ServiceConfig = new Grpc.Net.Client.Configuration.ServiceConfig
        {
            LoadBalancingConfigs = { new Grpc.Net.Client.Configuration.RoundRobinConfig() },
        });
        var kv = etcd.GetConnection().KVClient;
        var run = 0;
        foreach (var count in clientCounts)
        {
            // A negative count is the unreported warm run: |count| clients for --warm, its line on stderr.
            var n = Math.Abs(count);
            var (runWarmup, runDuration) = count < 0 ? (TimeSpan.Zero, warm) : (warmup, duration);
            var prefix = $"/peers/{Environment.ProcessId}/{++run}/";
            var accounts = new Accounts[n];
            for (var c = 0; c < n; c++)
            {
                var txn = new TxnRequest();
                txn.Success.Add(Put(Key(prefix, c, "a"), 1_000_000));
                txn.Success.Add(Put(Key(prefix, c, "b"), 1_000_000));
                var r = await kv.TxnAsync(txn).ResponseAsync.ConfigureAwait(false);
                accounts[c] = new Accounts { A = 1_000_000, B = 1_000_000, RevA = r.Header.Revision, RevB = r.Header.Revision };
            }

            var result = await ClosedLoop.RunAsync("etcd", "durable (Raft majority of 3, WAL fsync)", n, runWarmup, runDuration, async (c, i) =>
            {
                var s = accounts[c];
                var amount = i % 2 == 0 ? 1 : -1;
                var (keyA, keyB) = (Key(prefix, c, "a"), Key(prefix, c, "b"));
                if (amount > 0 ? s.A < amount : s.B < -amount)
                {
                    throw new InvalidOperationException("insufficient balance");
                }

                var txn = new TxnRequest();
                txn.Compare.Add(new Compare { Key = keyA, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = s.RevA });
                txn.Compare.Add(new Compare { Key = keyB, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = s.RevB });
                txn.Success.Add(Put(keyA, s.A - amount));
                txn.Success.Add(Put(keyB, s.B + amount));
                txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = keyA } });
                txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = keyB } });
                var answer = await kv.TxnAsync(txn).ResponseAsync.ConfigureAwait(false);
                if (answer.Succeeded)
                {
                    s.A -= amount;
                    s.B += amount;
                    s.RevA = s.RevB = answer.Header.Revision;
                    return true;
                }

                // Someone else moved an account: take what is there now and let the next transfer try again.
                var ka = answer.Responses[0].ResponseRange.Kvs[0];
                var kb = answer.Responses[1].ResponseRange.Kvs[0];
                (s.A, s.RevA) = (long.Parse(ka.Value.ToStringUtf8(), CultureInfo.InvariantCulture), ka.ModRevision);
                (s.B, s.RevB) = (long.Parse(kb.Value.ToStringUtf8(), CultureInfo.InvariantCulture), kb.ModRevision);
                return false;
            }).ConfigureAwait(false);
            ClosedLoop.Report(count, result);

            // The money is all there, as etcd holds it.
            long total = 0;
            var all = await kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(prefix), RangeEnd = ByteString.CopyFromUtf8(prefix[..^1] + "0") }).ResponseAsync.ConfigureAwait(false);
            foreach (var item in all.Kvs)
            {
                total += long.Parse(item.Value.ToStringUtf8(), CultureInfo.InvariantCulture);
            }

            if (total != 2_000_000L * n)
            {
                await Console.Error.WriteLineAsync($"etcd: balances sum to {total}, expected {2_000_000L * n}").ConfigureAwait(false);
                return 1;
            }

            await kv.DeleteRangeAsync(new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(prefix), RangeEnd = ByteString.CopyFromUtf8(prefix[..^1] + "0") }).ResponseAsync.ConfigureAwait(false);
        }

        return 0;
    }

    private static ByteString Key(string prefix, int client, string account) => ByteString.CopyFromUtf8($"{prefix}{client}/{account}");

    private static RequestOp Put(ByteString key, long value) =>
        new() { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFromUtf8(value.ToString(CultureInfo.InvariantCulture)) } };
}
