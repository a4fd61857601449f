using System.Collections;
using Cohort.Core;

namespace Cohort.Sql.Execution;

/// <summary>
/// The single column of an uncorrelated subquery, computed once per statement execution, with a hash lookup for
/// <c>x IN (SELECT …)</c> when the column holds only integers or only text: evaluated once per row of an enclosing
/// (possibly correlated) query, a linear scan made such statements quadratic or worse.
/// </summary>
internal sealed class SubqueryColumn(IReadOnlyList<Value> values) : IReadOnlyList<Value>
{
    private readonly Lock _gate = new();
    private bool _built;
    private bool _hasNull;
    private HashSet<long>? _integers;
    private HashSet<string>? _texts;

    public int Count => values.Count;

    public Value this[int index] => values[index];

    /// <summary>
    /// Answers whether <paramref name="x"/> equals a value of the column, as SQL equality would, when a hash lookup
    /// can: <paramref name="x"/> and every non-NULL value are integers, or all are text. False when it cannot
    /// (the caller compares one by one). <paramref name="hasNull"/> tells whether the column holds a NULL.
    /// </summary>
    public bool TryFind(Value x, out bool found, out bool hasNull)
    {
        Build();
        hasNull = _hasNull;
        if (x.Kind == ValueKind.Int64 && _integers is not null)
        {
            found = _integers.Contains(x.AsInt64());
            return true;
        }

        if (x.Kind == ValueKind.String && _texts is not null)
        {
            found = _texts.Contains(x.AsString());
            return true;
        }

        found = false;
        return false;
    }

    public IEnumerator<Value> GetEnumerator() => values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private void Build()
    {
        lock (_gate)
        {
            if (_built)
            {
                return;
            }

            var kind = ValueKind.Null;
            var uniform = true;
            foreach (var value in values)
            {
                if (value.IsNull)
                {
                    _hasNull = true;
                }
                else if (kind == ValueKind.Null)
                {
                    kind = value.Kind;
                }
                else if (value.Kind != kind)
                {
                    uniform = false;
                }
            }

            if (uniform && kind == ValueKind.Int64)
            {
                _integers = [.. values.Where(v => !v.IsNull).Select(v => v.AsInt64())];
            }
            else if (uniform && kind == ValueKind.String)
            {
                _texts = new HashSet<string>(values.Where(v => !v.IsNull).Select(v => v.AsString()), StringComparer.Ordinal);
            }

            _built = true;
        }
    }
}
