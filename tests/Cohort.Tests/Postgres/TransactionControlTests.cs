using Cohort.Postgres;

namespace Cohort.Tests.Postgres;

public sealed class TransactionControlTests
{
    [Theory]
    [InlineData("COMMIT", "COMMIT")]
    [InlineData("commit prepared 'x'", "COMMIT PREPARED")]
    [InlineData("End;", "END")]
    [InlineData("\t\n rollback", "ROLLBACK")]
    [InlineData("ROLLBACK WORK", "ROLLBACK WORK")]
    [InlineData("rollback prepared 'x'", "ROLLBACK PREPARED")]
    [InlineData("ABORT", "ABORT")]
    [InlineData("BEGIN ISOLATION LEVEL SERIALIZABLE", "BEGIN ISOLATION LEVEL SERIALIZABLE")]
    [InlineData("start transaction", "START TRANSACTION")]
    [InlineData("PREPARE TRANSACTION 'g'", "PREPARE TRANSACTION")]
    [InlineData("SET TRANSACTION READ ONLY", "SET TRANSACTION READ ONLY")]
    [InlineData("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", "SET SESSION CHARACTERISTICS AS")]
    [InlineData("set local transaction_isolation to serializable", "SET LOCAL TRANSACTION_ISOLATION TO")]
    [InlineData("SET default_transaction_isolation = 'serializable'", "SET DEFAULT_TRANSACTION_ISOLATION")]
    [InlineData("-- only a comment before\nCOMMIT", "COMMIT")]
    [InlineData("/* outer /* inner */ still outer ; COMMIT */ ROLLBACK", "ROLLBACK")]
    [InlineData("/**/COMMIT/**/", "COMMIT")]
    [InlineData("SELECT 1; COMMIT", "COMMIT")]
    [InlineData("INSERT INTO t VALUES ('a;b', \"c;d\", E'\\';', $$;$$, $x$ $$; $x$); commit", "COMMIT")]
    [InlineData("SELECT 1;;;  ; END", "END")]
    [InlineData("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END; COMMIT", "COMMIT")]
    public void TransactionControl_IsFound(string sql, string found) => Assert.Equal(found, TransactionControl.Find(sql));

    [Theory]
    [InlineData("SELECT 1")]
    [InlineData("INSERT INTO t VALUES ('; COMMIT')")]
    [InlineData("INSERT INTO t VALUES ('it''s; COMMIT')")]
    [InlineData("INSERT INTO t VALUES (E'\\'; COMMIT')")]
    [InlineData("INSERT INTO t VALUES ('\\'); -- ; COMMIT")]
    [InlineData("SELECT \"a;\"\"; COMMIT\" FROM t")]
    [InlineData("SELECT $$; COMMIT$$")]
    [InlineData("SELECT $body$ $$; COMMIT $body$")]
    [InlineData("SELECT a$b FROM t WHERE x = $1; SELECT 2")]
    [InlineData("SELECT 1 -- ; COMMIT")]
    [InlineData("SELECT 1 /* ; COMMIT */")]
    [InlineData("SAVEPOINT s")]
    [InlineData("RELEASE SAVEPOINT s")]
    [InlineData("ROLLBACK TO SAVEPOINT s")]
    [InlineData("rollback to s")]
    [InlineData("ROLLBACK TRANSACTION TO SAVEPOINT s")]
    [InlineData("PREPARE q AS SELECT 1")]
    [InlineData("SET LOCAL lock_timeout = '1s'")]
    [InlineData("SET search_path = shop")]
    [InlineData("LOCK TABLE t IN EXCLUSIVE MODE")]
    [InlineData("UPDATE t SET commit = 1 WHERE rollback = 2")]
    [InlineData("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END")]
    [InlineData("CREATE OR REPLACE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$")]
    [InlineData("DO $$ BEGIN ROLLBACK; END $$")]
    [InlineData("")]
    [InlineData("'unterminated; COMMIT")]
    public void OtherStatements_AreNotTransactionControl(string sql) => Assert.Null(TransactionControl.Find(sql));

    [Fact]
    public void Refusal_IsABadOperationNamingTheStatementAndWhatIsAllowed()
    {
        var error = Assert.Throws<CohortException>(() => TransactionControl.ThrowIfPresent("pg:x", "INSERT INTO t VALUES (1); COMMIT"));
        Assert.Equal(ErrorCodes.BadOperation, error.Code);
        Assert.False(error.IsTransient);
        Assert.StartsWith("pg:x: 'COMMIT' is refused", error.Message, StringComparison.Ordinal);
        Assert.Contains("ROLLBACK TO", error.Message, StringComparison.Ordinal);
    }
}
