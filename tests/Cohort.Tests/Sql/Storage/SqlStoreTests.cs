using System.Buffers;
using System.Collections.Immutable;
using Cohort.Sql.Storage;
using Cohort.Storage.Encoding;
using Cohort.Storage.Mvcc;

namespace Cohort.Tests.Sql.Storage;

public sealed class SqlStoreTests
{
    [Fact]
    public async Task Store_TwoTablesAndIndex_PrefixScansReturnExactlyTheRowsInOrder()
    {
        using var store = Populate(out var users, out var orders);
        var t = new HlcTimestamp(10);

        var all = await Scan(store, SqlKey.PrefixRange(SqlKeySpace.Rows, "users", "", []), t);
        Assert.Equal([1L, 2L, 3L, 4L], all.Select(kv => kv.Key.Values[0].AsInt64()));

        var byCity = await Scan(store, SqlKey.PrefixRange(SqlKeySpace.Index, "users", "users_city", ["oslo"]), t);
        Assert.Equal(["[1]", "[3]"], byCity.Select(kv => RowCodec.RowKeyOfIndexEntry("users", kv.Value).Values).Select(v => "[" + string.Join(",", v) + "]"));

        var orderRows = await Scan(store, SqlKey.PrefixRange(SqlKeySpace.Rows, "orders", "", [2]), t);
        Assert.Equal([(2L, 1L), (2L, 2L)], orderRows.Select(kv => (kv.Key.Values[0].AsInt64(), kv.Key.Values[1].AsInt64())));
        Assert.All(orderRows, kv => Assert.Equal(3, RowCodec.DecodeRow(orders, kv.Value).Length));

        // An older snapshot does not see the later row; the catalog decodes back to the schema.
        Assert.Equal(3, (await Scan(store, SqlKey.PrefixRange(SqlKeySpace.Rows, "users", "", []), new HlcTimestamp(5))).Count);
        Assert.True(store.TryGetLatest(SqlKey.Catalog("users"), out var catalog));
        Assert.Equal(users.ToValue(), TableSchema.FromValue(catalog).ToValue());
    }

    [Fact]
    public async Task Store_RowsBeforeAddColumn_ReadPadded()
    {
        using var store = Populate(out var users, out _);
        var altered = users.AddColumn(((Cohort.Sql.Ast.AlterTableAddColumnStatement)Cohort.Sql.Parsing.Parser.Parse("ALTER TABLE users ADD age INT DEFAULT 18")).Column, 18);
        var rows = await Scan(store, SqlKey.PrefixRange(SqlKeySpace.Rows, "users", "", [1]), new HlcTimestamp(10));
        var row = RowCodec.DecodeRow(altered, Assert.Single(rows).Value);
        Assert.Equal([Value.From(1L), "ann", "oslo", Value.From(18L)], row.AsEnumerable());
    }

    [Fact]
    public async Task Store_SnapshotRoundTrip_PreservesKeysVersionsAndOrder()
    {
        using var store = Populate(out _, out _);
        var buffer = new ArrayBufferWriter<byte>();
        store.WriteTo(buffer, SqlKeyCodec.Write);

        using var copy = new MvccStore<SqlKey>(SqlKeyComparer.Instance, SqlKeyComparer.Instance);
        var reader = new SpanReader(buffer.WrittenSpan);
        copy.ReadFrom(ref reader, SqlKeyCodec.Read);
        Assert.Equal(0, reader.Remaining);
        Assert.Equal(store.Count, copy.Count);

        var original = new List<string>();
        store.ForEach((k, v) => original.Add($"{k}={string.Join(";", v.Select(x => $"{x.Timestamp.Value}:{x.Value}"))}"));
        var restored = new List<string>();
        copy.ForEach((k, v) => restored.Add($"{k}={string.Join(";", v.Select(x => $"{x.Timestamp.Value}:{x.Value}"))}"));
        Assert.Equal(original, restored);
        Assert.Equal(3, (await Scan(copy, SqlKey.PrefixRange(SqlKeySpace.Rows, "users", "", []), new HlcTimestamp(5))).Count);
    }

    private static MvccStore<SqlKey> Populate(out TableSchema users, out TableSchema orders)
    {
        users = TableSchemaTests.Create("CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT, city TEXT)").AddIndex("users_city", ["city"], unique: false);
        orders = TableSchemaTests.Create("CREATE TABLE orders (user_id BIGINT, n BIGINT, total DECIMAL(10, 2), PRIMARY KEY (user_id, n))");
        var store = new MvccStore<SqlKey>(SqlKeyComparer.Instance, SqlKeyComparer.Instance);
        store.Install(SqlKey.Catalog("users"), new HlcTimestamp(1), users.ToValue());
        store.Install(SqlKey.Catalog("orders"), new HlcTimestamp(1), orders.ToValue());

        var index = users.Indexes[0];
        (long Id, string Name, string City, long At)[] people = [(3, "cid", "oslo", 2), (1, "ann", "oslo", 2), (2, "bob", "rome", 3), (4, "dan", "oslo", 7)];
        foreach (var (id, name, city, at) in people)
        {
            ImmutableArray<Value> row = [id, name, city];
            var key = RowCodec.RowKey(users, row);
            var entry = RowCodec.IndexEntry(users, index, row, key);
            store.InstallAll([new(key, RowCodec.EncodeRow(users, row)), new(entry.Key, entry.Value)], new HlcTimestamp(at), null);
        }

        // Delete user 4's index entry at 8 (as if the city changed): the snapshot at 10 no longer sees it in the index.
        store.Install(RowCodec.IndexEntry(users, index, [4, "dan", "oslo"], SqlKey.Row("users", [4])).Key, new HlcTimestamp(8), null);

        foreach (var (user, n) in new[] { (2L, 2L), (1L, 1L), (2L, 1L), (3L, 1L) })
        {
            ImmutableArray<Value> row = [user, n, 9.99m];
            store.Install(RowCodec.RowKey(orders, row), new HlcTimestamp(4), RowCodec.EncodeRow(orders, row));
        }

        return store;
    }

    private static ValueTask<List<KeyValuePair<SqlKey, Value>>> Scan(MvccStore<SqlKey> store, SqlKeyRange range, HlcTimestamp at) =>
        store.ScanAsync(range.Low, range.IsBeforeHigh, int.MaxValue, at, CancellationToken.None);
}
