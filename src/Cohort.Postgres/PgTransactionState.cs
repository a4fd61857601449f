namespace Cohort.Postgres;

/// <summary>Where a <see cref="PgTransaction"/> is in its life.</summary>
internal enum PgTransactionState : byte
{
    /// <summary>Taking operations; its PostgreSQL transaction is open on its connection.</summary>
    Active,

    /// <summary><c>PREPARE TRANSACTION</c> done: the connection went back to the pool, the gid waits for a decision.</summary>
    Prepared,

    /// <summary>Committed (one phase or <c>COMMIT PREPARED</c>).</summary>
    Committed,

    /// <summary>Rolled back.</summary>
    Aborted,
}
