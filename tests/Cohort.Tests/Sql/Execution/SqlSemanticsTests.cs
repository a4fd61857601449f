using Cohort.Sql.Ast;
using Cohort.Sql.Execution;

namespace Cohort.Tests.Sql.Execution;

public sealed class SqlSemanticsTests
{
    private static readonly Value T = Value.True;
    private static readonly Value F = Value.False;
    private static readonly Value N = Value.Null;

    public static TheoryData<Value, Value, Value, Value> LogicTable => new()
    {
        // left, right, AND, OR (PostgreSQL's three-valued truth tables)
        { T, T, T, T }, { T, F, F, T }, { T, N, N, T },
        { F, T, F, T }, { F, F, F, F }, { F, N, F, N },
        { N, T, N, T }, { N, F, F, N }, { N, N, N, N },
    };

    [Theory]
    [MemberData(nameof(LogicTable))]
    public void AndOr_FollowThreeValuedLogic(Value left, Value right, Value and, Value or)
    {
        Assert.Equal(and, SqlSemantics.And(left, right));
        Assert.Equal(or, SqlSemantics.Or(left, right));
    }

    [Fact]
    public void Not_OfUnknown_IsUnknown()
    {
        Assert.Equal(F, SqlSemantics.Not(T));
        Assert.Equal(T, SqlSemantics.Not(F));
        Assert.Equal(N, SqlSemantics.Not(N));
    }

    [Fact]
    public void Comparison_WithNull_IsUnknown_AndNullNeverEqualsNull()
    {
        Assert.Equal(N, SqlSemantics.Comparison(BinaryOperator.Equal, N, N));
        Assert.Equal(N, SqlSemantics.Comparison(BinaryOperator.NotEqual, 1L, N));
        Assert.False(SqlSemantics.IsTrue(SqlSemantics.Comparison(BinaryOperator.Equal, N, 1L)));
    }

    [Fact]
    public void Comparison_AcrossNumericTypes_ComparesValues()
    {
        Assert.Equal(T, SqlSemantics.Comparison(BinaryOperator.Equal, 2L, 2.0m));
        Assert.Equal(T, SqlSemantics.Comparison(BinaryOperator.Equal, 1.50m, 1.5));
        Assert.Equal(T, SqlSemantics.Comparison(BinaryOperator.Less, 1L, 1.01m));
        Assert.Equal(T, SqlSemantics.Comparison(BinaryOperator.Greater, 3L, 2.5));
    }

    [Fact]
    public void Comparison_OfTextWithNumber_IsATypeError()
    {
        var error = Assert.Throws<CohortException>(() => SqlSemantics.Comparison(BinaryOperator.Equal, "1", 1L));
        Assert.Contains("cannot compare text with bigint", error.Message);
    }

    [Fact]
    public void SortCompare_PutsNullsLast()
    {
        Value[] values = [3L, N, 1L, 2.5, N];
        Array.Sort(values, SqlSemantics.SortCompare);
        Assert.Equal([1L, 2.5, 3L, N, N], values);
    }

    [Theory]
    [InlineData("Add", 7L, 2L, 9L)]
    [InlineData("Subtract", 7L, 2L, 5L)]
    [InlineData("Multiply", 7L, 2L, 14L)]
    [InlineData("Divide", 7L, 2L, 3L)]
    [InlineData("Divide", -7L, 2L, -3L)]
    [InlineData("Modulo", -7L, 2L, -1L)]
    public void IntegerArithmetic_TruncatesLikePostgres(string op, long a, long b, long expected) =>
        Assert.Equal(Value.From(expected), SqlSemantics.Arithmetic(Enum.Parse<BinaryOperator>(op), a, b));

    [Fact]
    public void Arithmetic_PromotesToDecimalThenDouble_AndPropagatesNull()
    {
        Assert.Equal(Value.From(3.5m), SqlSemantics.Arithmetic(BinaryOperator.Add, 1L, 2.5m));
        Assert.Equal(Value.From(3.5), SqlSemantics.Arithmetic(BinaryOperator.Add, 1.0m, 2.5));
        Assert.Equal(N, SqlSemantics.Arithmetic(BinaryOperator.Multiply, N, 2L));
        Assert.Equal(Value.From("ab1"), SqlSemantics.Arithmetic(BinaryOperator.Concat, "ab", 1L));
        Assert.Equal(N, SqlSemantics.Arithmetic(BinaryOperator.Concat, "ab", N));
    }

    [Fact]
    public void Arithmetic_OverflowAndDivisionByZero_AreErrors()
    {
        Assert.Contains("out of range", Assert.Throws<CohortException>(() => SqlSemantics.Arithmetic(BinaryOperator.Add, long.MaxValue, 1L)).Message);
        Assert.Equal("division by zero", Assert.Throws<CohortException>(() => SqlSemantics.Arithmetic(BinaryOperator.Divide, 1L, 0L)).Message);
        Assert.Equal("division by zero", Assert.Throws<CohortException>(() => SqlSemantics.Arithmetic(BinaryOperator.Divide, 1.5m, 0L)).Message);
        Assert.Contains("out of range", Assert.Throws<CohortException>(() => SqlSemantics.Negate(long.MinValue)).Message);
    }

    [Theory]
    [InlineData("hello", "h%", true)]
    [InlineData("hello", "%llo", true)]
    [InlineData("hello", "h_llo", true)]
    [InlineData("hello", "h_lo", false)]
    [InlineData("hello", "%l%l%", true)]
    [InlineData("hello", "%x%", false)]
    [InlineData("Hello", "hello", false)]
    [InlineData("50%", "50\\%", true)]
    [InlineData("500", "50\\%", false)]
    [InlineData("a_b", "a\\_b", true)]
    [InlineData("axb", "a\\_b", false)]
    [InlineData("", "%", true)]
    [InlineData("", "_", false)]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "%a%a%a%a%a%a%c", false)]
    public void Like_MatchesPostgresSemantics(string text, string pattern, bool expected) =>
        Assert.Equal(Value.From(expected), SqlSemantics.Like(text, pattern));

    [Fact]
    public void Like_WithNull_IsUnknown() => Assert.Equal(N, SqlSemantics.Like(N, "%"));

    [Fact]
    public void Cast_ToIntegerTypes_RoundsAndChecksRange()
    {
        Assert.Equal(Value.From(3L), SqlSemantics.Cast(2.5m, new SqlType(SqlTypeKind.Integer)));
        Assert.Equal(Value.From(2L), SqlSemantics.Cast(2.5, new SqlType(SqlTypeKind.Integer)));
        Assert.Equal(Value.From(42L), SqlSemantics.Cast(" 42 ", new SqlType(SqlTypeKind.BigInt)));
        Assert.Contains("smallint out of range", Assert.Throws<CohortException>(() => SqlSemantics.Cast(40000L, new SqlType(SqlTypeKind.SmallInt))).Message);
        Assert.Contains("invalid input syntax for type bigint: \"4x\"", Assert.Throws<CohortException>(() => SqlSemantics.Cast("4x", new SqlType(SqlTypeKind.BigInt))).Message);
    }

    [Fact]
    public void Cast_ToDecimal_RoundsToTheScaleAndChecksPrecision()
    {
        var money = new SqlType(SqlTypeKind.Decimal, 5, 2);
        var cast = SqlSemantics.Cast(1.005m, money);
        Assert.Equal(Value.From(1.01m), cast);
        Assert.Equal("1.01", SqlSemantics.ToText(cast));
        Assert.Equal("7.00", SqlSemantics.ToText(SqlSemantics.Cast(7L, money)));
        Assert.Contains("numeric field overflow", Assert.Throws<CohortException>(() => SqlSemantics.Cast(1000m, money)).Message);
    }

    [Fact]
    public void Cast_ToDecimalBeyondTheSupportedScale_IsAClearError()
    {
        var error = Assert.Throws<CohortException>(() => SqlSemantics.Cast(1.2345m, new SqlType(SqlTypeKind.Decimal, 40, 30)));
        Assert.Equal(ErrorCodes.BadOperation, error.Code);
        Assert.Contains("at most 28", error.Message);
    }

    [Fact]
    public void Cast_ToVarchar_EnforcesTheLength()
    {
        Assert.Equal(Value.From("abc"), SqlSemantics.Cast("abc", new SqlType(SqlTypeKind.Varchar, Length: 3)));
        Assert.Contains("value too long for type character varying(3)", Assert.Throws<CohortException>(() => SqlSemantics.Cast("abcd", new SqlType(SqlTypeKind.Varchar, Length: 3))).Message);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("T", true)]
    [InlineData("yes", true)]
    [InlineData("0", false)]
    [InlineData("off", false)]
    public void Cast_TextToBoolean_AcceptsPostgresSpellings(string text, bool expected) =>
        Assert.Equal(Value.From(expected), SqlSemantics.Cast(text, new SqlType(SqlTypeKind.Boolean)));

    [Theory]
    [InlineData("2026-11-21 22:43:04", "2026-11-21 22:43:04")]
    [InlineData("2026-11-21T22:43:04.5", "2026-11-21 22:43:04.5")]
    [InlineData("2026-11-21", "2026-11-21 00:00:00")]
    [InlineData("2026-11-21T23:43:04+01:00", "2026-11-21 23:43:04")]
    [InlineData("2026-11-21 03:04:05-05", "2026-11-21 03:04:05")]
    [InlineData("2026-11-21 03:04:05Z", "2026-11-21 03:04:05")]
    [InlineData("2026-1-2 03:04", "2026-01-02 03:04:00")]
    [InlineData("2026-11-21 03:04:05.0000004", "2026-11-21 03:04:05")]
    [InlineData("2026-11-21 03:04:05.0000006", "2026-11-21 03:04:05.000001")]
    public void Cast_ToTimestamp_IsCanonicalTextIgnoringAZoneOffsetLikePostgres(string input, string expected) =>
        Assert.Equal(Value.From(expected), SqlSemantics.Cast(input, new SqlType(SqlTypeKind.Timestamp)));

    [Fact]
    public void Assign_RefusesTextForANumberColumn_NamingColumnAndTypes()
    {
        var error = Assert.Throws<CohortException>(() => SqlSemantics.Assign("12", new SqlType(SqlTypeKind.Integer), "age"));
        Assert.Equal(ErrorCodes.BadOperation, error.Code);
        Assert.Contains("column \"age\" is of type INTEGER", error.Message);
        Assert.Contains("text", error.Message);
        Assert.Equal(Value.From(12L), SqlSemantics.Assign(12L, new SqlType(SqlTypeKind.Integer), "age"));
        Assert.Equal(N, SqlSemantics.Assign(N, new SqlType(SqlTypeKind.Integer), "age"));
    }
}
