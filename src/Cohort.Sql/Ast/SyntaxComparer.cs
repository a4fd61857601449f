using System.Collections;
using Cohort.Core;

namespace Cohort.Sql.Ast;

/// <summary>
/// Structural equality of syntax trees: same node types and same content at every depth, ignoring
/// source positions. Use it instead of record equality, which compares positions and compares
/// <see cref="System.Collections.Immutable.ImmutableArray{T}"/> children by reference.
/// </summary>
internal sealed class SyntaxComparer : IEqualityComparer<SqlNode>
{
    private SyntaxComparer()
    {
    }

    /// <summary>The comparer.</summary>
    public static SyntaxComparer Instance { get; } = new();

    /// <summary>Whether the two trees are structurally equal.</summary>
    public bool Equals(SqlNode? x, SqlNode? y) => NodesEqual(x, y);

    /// <summary>A hash consistent with <see cref="Equals(SqlNode?, SqlNode?)"/>.</summary>
    public int GetHashCode(SqlNode obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return StringComparer.Ordinal.GetHashCode(obj.ToSql());
    }

    private static bool NodesEqual(SqlNode? x, SqlNode? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        if (x is null || y is null || x.GetType() != y.GetType())
        {
            return false;
        }

        foreach (var property in SyntaxTree.Properties(x.GetType()))
        {
            if (!ValuesEqual(property.GetValue(x), property.GetValue(y)))
            {
                return false;
            }
        }

        return true;
    }

    private static bool ValuesEqual(object? x, object? y)
    {
        switch (x)
        {
            case null:
                return y is null;
            case SqlNode node:
                return y is SqlNode otherNode && NodesEqual(node, otherNode);
            case Value value:
                return y is Value otherValue && value.Equals(otherValue);
            case string text:
                return y is string otherText && string.Equals(text, otherText, StringComparison.Ordinal);
            case IEnumerable items when y is IEnumerable others:
                var left = items.Cast<object?>().ToList();
                var right = others.Cast<object?>().ToList();
                if (left.Count != right.Count)
                {
                    return false;
                }

                for (var i = 0; i < left.Count; i++)
                {
                    if (!ValuesEqual(left[i], right[i]))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return x.Equals(y);
        }
    }
}
