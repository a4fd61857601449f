using System.Runtime.InteropServices;
using Cohort.Core;
using Cohort.Sql.Execution;
using Cohort.Sql.Storage;

namespace Cohort.Sql.Planning;

/// <summary>Reads a table's rows along an <see cref="AccessPath"/>.</summary>
internal sealed class ScanNode(AccessPath path, string alias) : PlanNode
{
    public AccessPath Path { get; } = path;

    public TableSchema Table => Path.Table;

    public override RowSchema Schema { get; } = path.Table.ToRowSchema(alias);

    public override string Title
    {
        get
        {
            var name = Table.Name == alias ? Table.Name : $"{Table.Name} {alias}";
            return Path.IsFull ? $"Seq Scan on {name}" : $"Index Scan using {Path.IndexName} on {name}";
        }
    }

    public override IEnumerable<string> Details
    {
        get
        {
            if (Path.IsFull)
            {
                return [];
            }

            var columns = Path.Index is null ? Table.PrimaryKey : Path.Index.Columns;
            return ["Index Cond: " + Path.Describe([.. columns.Select(c => Table.Columns[c].Name)])];
        }
    }

    public override IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context)
    {
        foreach (var (_, row) in ExecuteWithKeys(state, context))
        {
            yield return row;
        }
    }

    /// <summary>The rows with their storage keys (for UPDATE and DELETE).</summary>
    public IEnumerable<(SqlKey Key, Value[] Row)> ExecuteWithKeys(ExecutionState state, EvaluationContext context)
    {
        var range = state.RangeOf(this, context);
        var entries = state.View.Scan(range);
        if (Path.Index is null)
        {
            foreach (var (key, stored) in entries)
            {
                state.Tick();
                yield return (key, Decode(stored));
            }

            yield break;
        }

        foreach (var (_, entry) in entries)
        {
            state.Tick();
            var rowKey = RowCodec.RowKeyOfIndexEntry(Table.Name, entry);
            if (state.View.TryGet(rowKey, out var stored))
            {
                yield return (rowKey, Decode(stored));
            }
            else
            {
                throw new CohortException(ErrorCodes.Corruption, $"Index \"{Path.Index.Name}\" of table \"{Table.Name}\" points to missing row {rowKey}.", isTransient: false);
            }
        }
    }

    private Value[] Decode(Value stored) => ImmutableCollectionsMarshal.AsArray(RowCodec.DecodeRow(Table, stored))!;
}
