namespace Cohort.Sql.Ast;

/// <summary>The column and cast types.</summary>
internal enum SqlTypeKind
{
    /// <summary>SMALLINT.</summary>
    SmallInt,

    /// <summary>INTEGER / INT.</summary>
    Integer,

    /// <summary>BIGINT.</summary>
    BigInt,

    /// <summary>REAL.</summary>
    Real,

    /// <summary>DOUBLE PRECISION / DOUBLE / FLOAT.</summary>
    Double,

    /// <summary>DECIMAL / NUMERIC, with optional precision and scale.</summary>
    Decimal,

    /// <summary>TEXT.</summary>
    Text,

    /// <summary>VARCHAR(n) / CHARACTER VARYING(n).</summary>
    Varchar,

    /// <summary>BOOLEAN / BOOL.</summary>
    Boolean,

    /// <summary>TIMESTAMP [WITHOUT TIME ZONE].</summary>
    Timestamp,

    /// <summary>BYTEA.</summary>
    Bytea,

    /// <summary>DATE.</summary>
    Date,

    /// <summary>TIME [WITHOUT TIME ZONE].</summary>
    Time,

    /// <summary>INTERVAL.</summary>
    Interval,

    /// <summary>UUID.</summary>
    Uuid,
}
