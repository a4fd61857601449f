namespace Cohort.Tests.Engines.Sql.Differential;

/// <summary>The column types of the differential data set, each stored so that SQLite and Cohort agree on its values.</summary>
internal enum ColumnType
{
    /// <summary>INTEGER in both.</summary>
    Integer,

    /// <summary>TEXT in both (ASCII only, so byte order and ordinal order agree).</summary>
    Text,

    /// <summary>DECIMAL(10,2) in Cohort; REAL in SQLite, so integral values do not become integers with integer division.</summary>
    Decimal,

    /// <summary>DOUBLE PRECISION in Cohort, REAL in SQLite (values are multiples of 1/8, exact in binary).</summary>
    Double,

    /// <summary>BOOLEAN in Cohort, INTEGER 0/1 in SQLite.</summary>
    Boolean,

    /// <summary>TIMESTAMP in Cohort, TEXT in the canonical form <c>yyyy-MM-dd HH:mm:ss</c> in SQLite (so text order is time order).</summary>
    Timestamp,
}
