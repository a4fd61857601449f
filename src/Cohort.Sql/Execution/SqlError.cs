using Cohort.Core;

namespace Cohort.Sql.Execution;

/// <summary>Errors raised while executing SQL (types, values, constraints); all are <c>bad_operation</c> unless stated.</summary>
internal static class SqlError
{
    public static CohortException Type(string message) => new(ErrorCodes.BadOperation, message, isTransient: false);

    public static CohortException DivisionByZero() => new(ErrorCodes.BadOperation, "division by zero", isTransient: false);

    public static CohortException OutOfRange(string type) => new(ErrorCodes.BadOperation, $"{type} out of range", isTransient: false);

    public static CohortException UndefinedColumn(string? table, string column) =>
        Type(table is null ? $"column \"{column}\" does not exist" : $"column {table}.{column} does not exist");

    public static CohortException AmbiguousColumn(string column) => Type($"column reference \"{column}\" is ambiguous");

    public static CohortException MissingFromEntry(string table) => Type($"missing FROM-clause entry for table \"{table}\"");

    public static CohortException UndefinedFunction(string name, IEnumerable<string> argumentTypes) =>
        Type($"function {name}({string.Join(", ", argumentTypes)}) does not exist");

    public static CohortException NoParameter(int index) => Type($"there is no parameter ${index}");

    public static CohortException AggregateNotAllowed() => Type("aggregate functions are not allowed here");
}
