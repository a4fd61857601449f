namespace Cohort.Sql.Ast;

/// <summary>A SQL type as written in a column definition or a cast.</summary>
/// <param name="Kind">The type.</param>
/// <param name="Precision">For DECIMAL(p[,s]): p; otherwise null.</param>
/// <param name="Scale">For DECIMAL(p,s): s (0 when only p is given); otherwise null.</param>
/// <param name="Length">For VARCHAR(n): n; otherwise null.</param>
internal sealed record SqlType(SqlTypeKind Kind, int? Precision = null, int? Scale = null, int? Length = null)
{
    /// <summary>Prints the type, e.g. <c>DECIMAL(10, 2)</c>.</summary>
    public override string ToString() => Kind switch
    {
        SqlTypeKind.SmallInt => "SMALLINT",
        SqlTypeKind.Integer => "INTEGER",
        SqlTypeKind.BigInt => "BIGINT",
        SqlTypeKind.Real => "REAL",
        SqlTypeKind.Double => "DOUBLE PRECISION",
        SqlTypeKind.Decimal when Precision is { } p && Scale is { } s => $"DECIMAL({p}, {s})",
        SqlTypeKind.Decimal => "DECIMAL",
        SqlTypeKind.Text => "TEXT",
        SqlTypeKind.Varchar when Length is { } n => $"VARCHAR({n})",
        SqlTypeKind.Varchar => "VARCHAR",
        SqlTypeKind.Boolean => "BOOLEAN",
        SqlTypeKind.Timestamp => "TIMESTAMP",
        SqlTypeKind.Bytea => "BYTEA",
        SqlTypeKind.Date => "DATE",
        SqlTypeKind.Time => "TIME",
        SqlTypeKind.Interval => "INTERVAL",
        SqlTypeKind.Uuid => "UUID",
        _ => Kind.ToString().ToUpperInvariant(),
    };
}
