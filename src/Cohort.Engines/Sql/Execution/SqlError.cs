using Cohort.Core;

namespace Cohort.Engines.Sql.Execution;

/// <summary>Errors raised while executing SQL (types, values, constraints); all are <c>bad_operation</c> unless stated.</summary>
internal static class SqlError
{
    public static CohortException Type(string message) => new(ErrorCodes.BadOperation, message, isTransient: false);

    public static CohortException DivisionByZero() => new(ErrorCodes.BadOperation, "division by zero", isTransient: false);

    public static CohortException OutOfRange(string type) => new(ErrorCodes.BadOperation, $"{type} out of range", isTransient: false);
}
