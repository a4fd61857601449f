namespace Cohort.Tests.Engines.Sql.Differential;

/// <summary>A column of the differential data set.</summary>
internal sealed record DatasetColumn(string Name, ColumnType Type, bool Nullable)
{
    /// <summary>The type name in Cohort's (PostgreSQL's) dialect.</summary>
    public string CohortType => Type switch
    {
        ColumnType.Integer => "INTEGER",
        ColumnType.Text => "TEXT",
        ColumnType.Decimal => "DECIMAL(10,2)",
        ColumnType.Double => "DOUBLE PRECISION",
        ColumnType.Boolean => "BOOLEAN",
        ColumnType.Timestamp => "TIMESTAMP",
        _ => throw new ArgumentOutOfRangeException(nameof(Type), Type, null),
    };

    /// <summary>The declared type in SQLite, chosen for its affinity (REAL keeps 10.00 a real number).</summary>
    public string SqliteType => Type switch
    {
        ColumnType.Integer or ColumnType.Boolean => "INTEGER",
        ColumnType.Text or ColumnType.Timestamp => "TEXT",
        ColumnType.Decimal or ColumnType.Double => "REAL",
        _ => throw new ArgumentOutOfRangeException(nameof(Type), Type, null),
    };
}
