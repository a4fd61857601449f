using Cohort.Sql.Ast;
using Cohort.Sql.Parsing;

namespace Cohort.Tests.Sql.Parsing;

public sealed class StatementParserTests
{
    [Fact]
    public void Parse_CreateTable_ReadsColumnsTypesAndConstraints()
    {
        var create = SqlAssert.Single<CreateTableStatement>("""
            CREATE TABLE IF NOT EXISTS Accounts (
                id BIGINT PRIMARY KEY,
                "Owner" VARCHAR(64) NOT NULL UNIQUE,
                balance DECIMAL(18, 2) NOT NULL DEFAULT 0.00,
                note TEXT NULL DEFAULT 'n/a' || '!',
                opened TIMESTAMP,
                active BOOLEAN DEFAULT TRUE NOT NULL,
                CONSTRAINT uq_owner UNIQUE ("Owner", opened)
            );
            """);

        Assert.Equal(("accounts", true), (create.Name, create.IfNotExists));
        Assert.Equal(["id", "Owner", "balance", "note", "opened", "active"], create.Columns.Select(c => c.Name));
        var id = create.Columns[0];
        Assert.Equal((SqlTypeKind.BigInt, true, false, false), (id.Type.Kind, id.PrimaryKey, id.NotNull, id.Unique));
        var owner = create.Columns[1];
        Assert.Equal(new SqlType(SqlTypeKind.Varchar, Length: 64), owner.Type);
        Assert.Equal((true, true), (owner.NotNull, owner.Unique));
        var balance = create.Columns[2];
        Assert.Equal(new SqlType(SqlTypeKind.Decimal, 18, 2), balance.Type);
        Assert.Equal(Value.From(0.00m), Assert.IsType<LiteralExpression>(balance.Default).Value);
        Assert.IsType<BinaryExpression>(create.Columns[3].Default);
        Assert.False(create.Columns[3].NotNull);
        Assert.Null(create.Columns[4].Default);
        Assert.True(create.Columns[5].NotNull);
        var constraint = Assert.Single(create.Constraints);
        Assert.Equal((TableConstraintKind.Unique, "uq_owner"), (constraint.Kind, constraint.Name));
        Assert.Equal(["Owner", "opened"], constraint.Columns.ToArray());
    }

    [Fact]
    public void Parse_CreateTable_CompositePrimaryKey()
    {
        var create = SqlAssert.Single<CreateTableStatement>("create table t (a int, b text not null, primary key (a, b))");

        Assert.False(create.IfNotExists);
        var key = Assert.Single(create.Constraints);
        Assert.Equal((TableConstraintKind.PrimaryKey, null), (key.Kind, key.Name));
        Assert.Equal(["a", "b"], key.Columns.ToArray());
    }

    [Fact]
    public void Parse_DropAndIndexStatements()
    {
        Assert.Equal(("t", true), Fields(SqlAssert.Single<DropTableStatement>("DROP TABLE IF EXISTS T")));
        Assert.Equal(("t", false), Fields(SqlAssert.Single<DropTableStatement>("DROP TABLE t")));
        Assert.Equal(("a,b,c", false), Fields(SqlAssert.Single<DropTableStatement>("DROP TABLE a, B, \"c\" RESTRICT")));
        Assert.Equal(("a,b", true), Fields(SqlAssert.Single<DropTableStatement>("DROP TABLE IF EXISTS a, b")));
        Assert.Equal(("ix", true), Fields(SqlAssert.Single<DropIndexStatement>("DROP INDEX IF EXISTS ix")));

        var unique = SqlAssert.Single<CreateIndexStatement>("CREATE UNIQUE INDEX IF NOT EXISTS ix_ab ON t (a, \"B\")");
        Assert.Equal(("ix_ab", "t", true, true), (unique.Name, unique.Table, unique.Unique, unique.IfNotExists));
        Assert.Equal(["a", "B"], unique.Columns.ToArray());

        var plain = SqlAssert.Single<CreateIndexStatement>("create index ix on t(a)");
        Assert.Equal((false, false), (plain.Unique, plain.IfNotExists));

        static (string, bool) Fields(Statement s) => s switch
        {
            DropTableStatement d => (string.Join(",", d.Names), d.IfExists),
            DropIndexStatement d => (d.Name, d.IfExists),
            _ => throw new ArgumentException(nameof(s)),
        };
    }

    [Theory]
    [InlineData("ALTER TABLE t ADD COLUMN c INT NOT NULL DEFAULT 0", false)]
    [InlineData("ALTER TABLE t ADD c INT NOT NULL DEFAULT 0", false)]
    [InlineData("ALTER TABLE t ADD COLUMN IF NOT EXISTS c INT NOT NULL DEFAULT 0", true)]
    public void Parse_AlterTableAddColumn(string sql, bool ifNotExists)
    {
        var alter = SqlAssert.Single<AlterTableAddColumnStatement>(sql);

        Assert.Equal(("t", "c", SqlTypeKind.Integer, true, ifNotExists), (alter.Table, alter.Column.Name, alter.Column.Type.Kind, alter.Column.NotNull, alter.IfNotExists));
        Assert.NotNull(alter.Column.Default);
    }

    [Fact]
    public void Parse_InsertValues_MultiRowWithColumnsAndReturning()
    {
        var insert = SqlAssert.Single<InsertStatement>("INSERT INTO t (a, b) VALUES (1, 'x'), ($1, DEFAULT_VALUE()) RETURNING *, a AS id");

        Assert.Equal("t", insert.Table);
        Assert.Equal(["a", "b"], insert.Columns.ToArray());
        var values = Assert.IsType<ValuesSource>(insert.Source);
        Assert.Equal(2, values.Rows.Length);
        Assert.All(values.Rows, row => Assert.Equal(2, row.Length));
        Assert.Null(insert.OnConflict);
        Assert.IsType<WildcardSelectItem>(insert.Returning[0]);
        Assert.Equal("id", Assert.IsType<ExpressionSelectItem>(insert.Returning[1]).Alias);
    }

    [Fact]
    public void Parse_InsertSelect_WithOnConflictDoNothing()
    {
        var insert = SqlAssert.Single<InsertStatement>("INSERT INTO t SELECT * FROM s WHERE s.x > 0 ON CONFLICT DO NOTHING");

        Assert.Empty(insert.Columns);
        var query = Assert.IsType<SelectStatement>(Assert.IsType<QuerySource>(insert.Source).Query);
        Assert.NotNull(query.Where);
        Assert.Equal(ConflictAction.DoNothing, insert.OnConflict!.Action);
        Assert.Empty(insert.OnConflict.TargetColumns);
        Assert.Empty(insert.OnConflict.Assignments);
    }

    [Fact]
    public void Parse_InsertOnConflictDoUpdate_ReferencesExcluded()
    {
        var insert = SqlAssert.Single<InsertStatement>(
            "INSERT INTO kv (k, v) VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET v = kv.v + EXCLUDED.v, n = 0 WHERE kv.v < 100 RETURNING v");

        var conflict = insert.OnConflict!;
        Assert.Equal(ConflictAction.DoUpdate, conflict.Action);
        Assert.Equal(["k"], conflict.TargetColumns.ToArray());
        Assert.Equal(["v", "n"], conflict.Assignments.Select(a => a.Column));
        var sum = Assert.IsType<BinaryExpression>(conflict.Assignments[0].Value);
        Assert.Equal(new ColumnReference("excluded", "v"), Assert.IsType<ColumnReference>(sum.Right) with { Position = default });
        Assert.NotNull(conflict.Where);
        Assert.Single(insert.Returning);
    }

    [Fact]
    public void Parse_UpdateAndDelete_WithAliasWhereAndReturning()
    {
        var update = SqlAssert.Single<UpdateStatement>("UPDATE accounts AS a SET balance = balance - 10, version = version + 1 WHERE id = $1 RETURNING balance");
        Assert.Equal(("accounts", "a"), (update.Table.Name, update.Table.Alias));
        Assert.Equal(2, update.Assignments.Length);
        Assert.NotNull(update.Where);
        Assert.Single(update.Returning);

        var delete = SqlAssert.Single<DeleteStatement>("DELETE FROM t WHERE a IS NULL RETURNING t.*");
        Assert.Equal(("t", null), (delete.Table.Name, delete.Table.Alias));
        Assert.IsType<IsNullExpression>(delete.Where);
        Assert.Equal("t", Assert.IsType<WildcardSelectItem>(Assert.Single(delete.Returning)).Table);

        var all = SqlAssert.Single<DeleteStatement>("DELETE FROM t");
        Assert.Null(all.Where);
        Assert.Empty(all.Returning);
    }

    [Fact]
    public void Parse_Select_EveryClause()
    {
        var select = SqlAssert.Single<SelectStatement>("""
            SELECT DISTINCT u.id, u.name AS "Name", count(*) n, o.*
            FROM users u
            LEFT OUTER JOIN orders AS o ON o.user_id = u.id
            WHERE u.active AND o.total > 10
            GROUP BY u.id, u.name
            HAVING count(*) > 1
            ORDER BY n DESC NULLS LAST, u.name ASC, 3 NULLS FIRST
            LIMIT 10 OFFSET 20
            """);

        Assert.True(select.Distinct);
        Assert.Equal(4, select.Items.Length);
        Assert.Equal("Name", Assert.IsType<ExpressionSelectItem>(select.Items[1]).Alias);
        Assert.Equal("n", Assert.IsType<ExpressionSelectItem>(select.Items[2]).Alias);
        Assert.Equal("o", Assert.IsType<WildcardSelectItem>(select.Items[3]).Table);
        var join = Assert.IsType<JoinedTable>(Assert.Single(select.From));
        Assert.Equal(JoinKind.Left, join.Kind);
        Assert.Equal(new TableReference("users", "u"), join.Left with { Position = default });
        Assert.Equal(new TableReference("orders", "o"), join.Right with { Position = default });
        Assert.NotNull(join.Condition);
        Assert.NotNull(select.Where);
        Assert.Equal(2, select.GroupBy.Length);
        Assert.NotNull(select.Having);
        Assert.Equal(
            [(true, NullsOrder.Last), (false, NullsOrder.Default), (false, NullsOrder.First)],
            select.OrderBy.Select(o => (o.Descending, o.Nulls)));
        Assert.Equal(Value.From(10L), Assert.IsType<LiteralExpression>(select.Limit).Value);
        Assert.Equal(Value.From(20L), Assert.IsType<LiteralExpression>(select.Offset).Value);
        Assert.Null(select.AsOf);
    }

    [Fact]
    public void Parse_Select_JoinsAreLeftDeepAndCommaListsAreKept()
    {
        var select = SqlAssert.Single<SelectStatement>("SELECT * FROM a JOIN b ON a.x = b.x INNER JOIN c ON c.y = b.y CROSS JOIN d, e, (SELECT 1 AS one) AS f");

        Assert.Equal(3, select.From.Length);
        var cross = Assert.IsType<JoinedTable>(select.From[0]);
        Assert.Equal(JoinKind.Cross, cross.Kind);
        Assert.Null(cross.Condition);
        var second = Assert.IsType<JoinedTable>(cross.Left);
        Assert.Equal(JoinKind.Inner, second.Kind);
        var first = Assert.IsType<JoinedTable>(second.Left);
        Assert.Equal(("a", "b"), (Assert.IsType<TableReference>(first.Left).Name, Assert.IsType<TableReference>(first.Right).Name));
        Assert.Equal("e", Assert.IsType<TableReference>(select.From[1]).Name);
        Assert.Equal("f", Assert.IsType<DerivedTable>(select.From[2]).Alias);
    }

    [Fact]
    public void Parse_Select_ParenthesizedJoinOnTheRight()
    {
        var select = SqlAssert.Single<SelectStatement>("SELECT * FROM a LEFT JOIN (b JOIN c ON b.i = c.i) ON a.i = b.i");

        var join = Assert.IsType<JoinedTable>(Assert.Single(select.From));
        Assert.IsType<TableReference>(join.Left);
        Assert.IsType<JoinedTable>(join.Right);
    }

    [Theory]
    [InlineData("SELECT * FROM t AS OF '2024-01-01T00:00:00Z' WHERE a = 1")]
    [InlineData("SELECT * FROM t AS x AS OF '2024-01-01T00:00:00Z' WHERE a = 1")]
    [InlineData("SELECT * FROM t WHERE a = 1 ORDER BY a LIMIT 5 AS OF '2024-01-01T00:00:00Z'")]
    [InlineData("SELECT * FROM t WHERE a = 1 AS OF '2024-01-01T00:00:00Z'")]
    public void Parse_SelectAsOf_IsRecordedWhereverItIsWritten(string sql)
    {
        var select = SqlAssert.Single<SelectStatement>(sql);

        Assert.Equal("2024-01-01T00:00:00Z", Assert.IsType<LiteralExpression>(select.AsOf).Value.AsString());
        Assert.NotNull(select.Where);
        Assert.Equal("t", Assert.IsType<TableReference>(Assert.Single(select.From)).Name);
    }

    [Fact]
    public void Parse_SelectAsOf_TakesAParameter()
    {
        var select = SqlAssert.Single<SelectStatement>("SELECT a FROM t AS OF $1");

        Assert.Equal(1, Assert.IsType<ParameterExpression>(select.AsOf).Index);
        Assert.Equal(1, select.ParameterCount);
    }

    [Fact]
    public void Parse_SelectWithoutFrom_AndOffsetBeforeLimit()
    {
        var select = SqlAssert.Single<SelectStatement>("SELECT 1+1");
        Assert.Empty(select.From);
        Assert.Equal("(1 + 1)", SqlAssert.Paren(Assert.IsType<ExpressionSelectItem>(Assert.Single(select.Items)).Expression));

        var paged = SqlAssert.Single<SelectStatement>("SELECT a FROM t OFFSET 5 LIMIT $1");
        Assert.NotNull(paged.Limit);
        Assert.NotNull(paged.Offset);
    }

    [Fact]
    public void Parse_Explain_WrapsTheStatement()
    {
        var explain = SqlAssert.Single<ExplainStatement>("EXPLAIN SELECT * FROM t WHERE id = ?");

        Assert.IsType<SelectStatement>(explain.Statement);
        Assert.Equal(1, explain.ParameterCount);
        Assert.IsType<DeleteStatement>(SqlAssert.Single<ExplainStatement>("explain delete from t").Statement);
    }

    [Fact]
    public void Parse_Identifiers_UnquotedAreLowerCasedAndQuotedArePreserved()
    {
        var select = SqlAssert.Single<SelectStatement>("SELECT MyCol, \"MyCol\", \"select\", \"a\"\"b\" FROM \"My Table\"");

        Assert.Equal(
            ["mycol", "MyCol", "select", "a\"b"],
            select.Items.Select(i => Assert.IsType<ColumnReference>(Assert.IsType<ExpressionSelectItem>(i).Expression).Column));
        Assert.Equal("My Table", Assert.IsType<TableReference>(Assert.Single(select.From)).Name);
    }

    [Fact]
    public void Parse_NonReservedKeywords_WorkAsNames()
    {
        var select = SqlAssert.Single<SelectStatement>("SELECT text, timestamp, nulls, first, key, index, if, conflict FROM update ORDER BY nulls NULLS FIRST");

        Assert.Equal(8, select.Items.Length);
        Assert.Equal("update", Assert.IsType<TableReference>(Assert.Single(select.From)).Name);
        Assert.Equal(NullsOrder.First, Assert.Single(select.OrderBy).Nulls);
    }

    [Fact]
    public void ParseScript_SplitsOnSemicolonsAndSkipsEmptyStatements()
    {
        var statements = Parser.ParseScript("""
            -- set up
            CREATE TABLE t (a INT PRIMARY KEY);;
            INSERT INTO t VALUES (1); /* two */ INSERT INTO t VALUES (2)
            ;
            SELECT a FROM t
            """);

        Assert.Equal([typeof(CreateTableStatement), typeof(InsertStatement), typeof(InsertStatement), typeof(SelectStatement)], statements.Select(s => s.GetType()));
        Assert.Empty(Parser.ParseScript(" ; -- nothing\n"));
    }

    [Fact]
    public void Parse_StatementPositions_AreTheFirstToken()
    {
        var statements = Parser.ParseScript("SELECT 1;\n  DELETE FROM t");

        Assert.Equal((2, 3), (statements[1].Position.Line, statements[1].Position.Column));
    }
}
