using Cohort.Sql.Ast;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <summary>
/// The type of a query's output column as far as it is known at plan time, for resolving the types of set operations,
/// VALUES and CREATE TABLE AS as PostgreSQL does.
/// </summary>
/// <param name="Type">The type; null when it is not known before execution (or for an untyped literal).</param>
/// <param name="Untyped">
/// Whether the column is a string literal or NULL: PostgreSQL's type "unknown", which takes the type of the columns it
/// is matched with (and is text when all of them are unknown).
/// </param>
internal readonly record struct ResultType(SqlType? Type, bool Untyped)
{
    /// <summary>A column whose type is not known before execution: matches anything and is left as it is.</summary>
    public static ResultType Opaque => new(null, false);

    /// <summary>A string literal or NULL.</summary>
    public static ResultType Unknown => new(null, true);

    /// <summary>A known type.</summary>
    public static ResultType Of(SqlType type) => new(type, false);

    /// <summary>The name of the type in PostgreSQL's messages.</summary>
    public string Name => Type is { } type ? ExpressionCompiler.TypeName(type) : Untyped ? "unknown" : "?";

    /// <summary>
    /// The common type of the columns matched by a UNION, INTERSECT, EXCEPT or VALUES (<paramref name="context"/>),
    /// chosen as PostgreSQL's <c>select_common_type</c> does: the unknowns take the type of the others (text when all are
    /// unknown); numbers widen to the widest (smallint, integer, bigint, numeric, real, double precision); text and
    /// varchar make text; types of different categories cannot be matched.
    /// </summary>
    /// <exception cref="Cohort.Core.CohortException">Two types of different categories.</exception>
    public static ResultType Common(IReadOnlyList<ResultType> types, string context)
    {
        ArgumentNullException.ThrowIfNull(types);
        ResultType? chosen = null;
        var opaque = false;
        foreach (var candidate in types)
        {
            if (candidate.Type is not { } type)
            {
                opaque |= !candidate.Untyped;
                continue;
            }

            if (chosen is not { Type: { } current })
            {
                chosen = candidate;
                continue;
            }

            if (Category(current) != Category(type))
            {
                throw SqlError.Type($"{context} types {chosen.Value.Name} and {candidate.Name} cannot be matched");
            }

            if (current == type)
            {
                continue;
            }

            chosen = Rank(type) > Rank(current) ? Of(Plain(type)) : Of(Plain(current));
        }

        if (chosen is { } result)
        {
            return result;
        }

        // Only unknowns: text; with a column of a type not known here, nothing can be said.
        return opaque ? Opaque : Of(new SqlType(SqlTypeKind.Text));
    }

    // The same type without its modifiers (numeric(10, 2) and numeric(8, 1) make numeric).
    private static SqlType Plain(SqlType type) => type.Kind is SqlTypeKind.Decimal or SqlTypeKind.Varchar ? new SqlType(type.Kind) : type;

    private static string Category(SqlType type) => type.Kind switch
    {
        SqlTypeKind.SmallInt or SqlTypeKind.Integer or SqlTypeKind.BigInt or SqlTypeKind.Decimal or SqlTypeKind.Real or SqlTypeKind.Double => "N",
        SqlTypeKind.Text or SqlTypeKind.Varchar => "S",
        var kind => kind.ToString(),
    };

    private static int Rank(SqlType type) => type.Kind switch
    {
        SqlTypeKind.SmallInt => 1,
        SqlTypeKind.Integer => 2,
        SqlTypeKind.BigInt => 3,
        SqlTypeKind.Decimal => 4,
        SqlTypeKind.Real => 5,
        SqlTypeKind.Double => 6,
        SqlTypeKind.Varchar => 1,
        SqlTypeKind.Text => 2,
        _ => 0,
    };

    /// <summary>
    /// Whether values of a column of this type must be converted to <paramref name="target"/>: an unknown (a string
    /// literal becomes a number, say) or a different known type (integer widened to numeric).
    /// </summary>
    public bool NeedsConversionTo(ResultType target) =>
        target.Type is { } to && (Untyped ? to.Kind is not (SqlTypeKind.Text or SqlTypeKind.Varchar) : Type is { } from && from.Kind != to.Kind);
}
