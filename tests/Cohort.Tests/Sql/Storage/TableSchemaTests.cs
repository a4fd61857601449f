using System.Collections.Immutable;
using Cohort.Sql.Ast;
using Cohort.Sql.Parsing;
using Cohort.Sql.Storage;

namespace Cohort.Tests.Sql.Storage;

public sealed class TableSchemaTests
{
    internal static TableSchema Create(string sql) => TableSchema.Create((CreateTableStatement)Parser.Parse(sql));

    [Fact]
    public void Create_WithColumnPrimaryKey_BuildsColumnsAndMakesKeyNotNull()
    {
        var schema = Create("CREATE TABLE users (id BIGINT PRIMARY KEY, name VARCHAR(20) NOT NULL DEFAULT 'x', score DECIMAL(10, 2), ok BOOLEAN)");
        Assert.Equal("users", schema.Name);
        Assert.Equal(["id", "name", "score", "ok"], schema.Columns.Select(c => c.Name));
        Assert.Equal([0], schema.PrimaryKey.AsEnumerable());
        Assert.False(schema.HasRowId);
        Assert.True(schema.Columns[0].NotNull);
        Assert.True(schema.Columns[1].NotNull);
        Assert.False(schema.Columns[2].NotNull);
        Assert.Equal(new SqlType(SqlTypeKind.Varchar, Length: 20), schema.Columns[1].Type);
        Assert.Equal("'x'", schema.Columns[1].Default!.ToSql());
        Assert.Empty(schema.Indexes);
    }

    [Fact]
    public void Create_CompositeKeyAndUniques_CreatesNamedUniqueIndexes()
    {
        var schema = Create("CREATE TABLE t (a INT, b TEXT UNIQUE, c INT, PRIMARY KEY (b, a), UNIQUE (c, a), CONSTRAINT named UNIQUE (a), UNIQUE (b))");
        Assert.Equal([1, 0], schema.PrimaryKey.AsEnumerable());
        Assert.True(schema.Columns[0].NotNull && schema.Columns[1].NotNull);
        Assert.Equal(["t_b_key", "t_c_a_key", "named"], schema.Indexes.Select(i => i.Name));
        Assert.All(schema.Indexes, i => Assert.True(i.Unique));
        Assert.Equal([2, 0], schema.Indexes[1].Columns.AsEnumerable());
    }

    [Fact]
    public void Create_UniqueOnPrimaryKey_AddsNoIndex()
    {
        var schema = Create("CREATE TABLE t (a INT PRIMARY KEY UNIQUE, b INT)");
        Assert.Empty(schema.Indexes);
    }

    [Fact]
    public void Create_WithoutPrimaryKey_UsesHiddenRowId()
    {
        var schema = Create("CREATE TABLE log (msg TEXT)");
        Assert.True(schema.HasRowId);
        Assert.Empty(schema.PrimaryKey);
        Assert.Single(schema.Columns);
    }

    [Theory]
    [InlineData("CREATE TABLE t (a INT, b INT, a TEXT)", "column \"a\" specified more than once")]
    [InlineData("CREATE TABLE t (a INT PRIMARY KEY, b INT PRIMARY KEY)", "multiple primary keys for table \"t\" are not allowed")]
    [InlineData("CREATE TABLE t (a INT PRIMARY KEY, b INT, PRIMARY KEY (b))", "multiple primary keys for table \"t\" are not allowed")]
    [InlineData("CREATE TABLE t (a INT, b INT, PRIMARY KEY (a), PRIMARY KEY (b))", "multiple primary keys for table \"t\" are not allowed")]
    [InlineData("CREATE TABLE t (a INT, PRIMARY KEY (z))", "column \"z\" named in key does not exist")]
    [InlineData("CREATE TABLE t (a INT, UNIQUE (a, z))", "column \"z\" named in key does not exist")]
    [InlineData("CREATE TABLE t (a INT, PRIMARY KEY (a, a))", "column \"a\" appears twice in primary key constraint")]
    [InlineData("CREATE TABLE t (a INT, UNIQUE (a, a))", "column \"a\" appears twice in unique constraint")]
    [InlineData("CREATE TABLE t (a DECIMAL(40, 2))", "NUMERIC precision 40 must be between 1 and 28")]
    [InlineData("CREATE TABLE t (a INT DEFAULT 'abc')", "column \"a\" is of type INTEGER but default expression is of type text")]
    [InlineData("CREATE TABLE t (a BOOLEAN DEFAULT 1)", "column \"a\" is of type BOOLEAN but default expression is of type bigint")]
    [InlineData("CREATE TABLE t (a VARCHAR(2) DEFAULT 'abc')", "column \"a\" is of type VARCHAR(2) but default expression is of type text")]
    [InlineData("CREATE TABLE t (a INT UNIQUE, a2 INT, CONSTRAINT t_a_key UNIQUE (a, a2))", "relation \"t_a_key\" already exists")]
    [InlineData("CREATE TABLE t (a INT DEFAULT $1)", "cannot use parameter $1 in DEFAULT expression")]
    [InlineData("CREATE TABLE t (a INT, b INT DEFAULT a + 1)", "cannot use column reference \"a\" in DEFAULT expression")]
    [InlineData("CREATE TABLE t (a INT DEFAULT (SELECT 1))", "cannot use subquery in DEFAULT expression")]
    [InlineData("CREATE TABLE t (a INT DEFAULT count(*))", "aggregate functions are not allowed in DEFAULT expressions")]
    public void Create_Invalid_FailsLikePostgres(string sql, string message) => AssertBad(() => Create(sql), message);

    [Fact]
    public void Create_InvalidTypesBuiltDirectly_Fail()
    {
        static CreateTableStatement Table(SqlType type) =>
            new("t", false, [new ColumnDefinition("a", type, false, false, false, null)], []);

        AssertBad(() => TableSchema.Create(Table(new SqlType(SqlTypeKind.Decimal, 0, 0))), "NUMERIC precision 0 must be between 1 and 28");
        AssertBad(() => TableSchema.Create(Table(new SqlType(SqlTypeKind.Decimal, 5, 6))), "NUMERIC scale 6 must be between 0 and precision 5");
        AssertBad(() => TableSchema.Create(Table(new SqlType(SqlTypeKind.Varchar, Length: 0))), "length for type varchar must be at least 1");
        AssertBad(() => TableSchema.Create(Table(new SqlType(SqlTypeKind.Varchar, Length: 20_000_000))), "length for type varchar cannot exceed 10485760");
    }

    [Fact]
    public void AddColumn_AppendsAndKeepsMissingValue()
    {
        var schema = Create("CREATE TABLE t (a INT PRIMARY KEY)");
        var alter = (AlterTableAddColumnStatement)Parser.Parse("ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'z' UNIQUE");
        var altered = schema.AddColumn(alter.Column, "z");
        Assert.Equal(["a", "b"], altered.Columns.Select(c => c.Name));
        Assert.Equal(Value.From("z"), altered.Columns[1].MissingValue);
        Assert.Equal("t_b_key", Assert.Single(altered.Indexes).Name);
        Assert.Single(schema.Columns); // immutable
    }

    [Fact]
    public void AddColumn_Invalid_Fails()
    {
        var schema = Create("CREATE TABLE t (a INT PRIMARY KEY)");
        var rowId = Create("CREATE TABLE r (a INT)");
        ColumnDefinition Column(string sql) => ((AlterTableAddColumnStatement)Parser.Parse(sql)).Column;
        AssertBad(() => schema.AddColumn(Column("ALTER TABLE t ADD a TEXT")), "column \"a\" of relation \"t\" already exists");
        AssertBad(() => schema.AddColumn(Column("ALTER TABLE t ADD b INT PRIMARY KEY")), "multiple primary keys for table \"t\" are not allowed");
        AssertBad(() => rowId.AddColumn(Column("ALTER TABLE r ADD b INT PRIMARY KEY")), "cannot add primary key column \"b\" to table \"r\" with ALTER TABLE ADD COLUMN");
        AssertBad(() => schema.AddColumn(Column("ALTER TABLE t ADD b INT DEFAULT 'q'")), "column \"b\" is of type INTEGER but default expression is of type text");
    }

    [Fact]
    public void AddIndexAndDropIndex_ReturnNewSchemas()
    {
        var schema = Create("CREATE TABLE t (a INT PRIMARY KEY, b INT, c TEXT)");
        var indexed = schema.AddIndex("t_bc", ["b", "c"], unique: false);
        Assert.Equal([1, 2], Assert.Single(indexed.Indexes).Columns.AsEnumerable());
        Assert.Empty(schema.Indexes);
        AssertBad(() => indexed.AddIndex("t_bc", ["b"], unique: true), "relation \"t_bc\" already exists");
        AssertBad(() => indexed.AddIndex("t_pkey", ["b"], unique: true), "relation \"t_pkey\" already exists");
        AssertBad(() => indexed.AddIndex("x", ["nope"], unique: true), "column \"nope\" does not exist");
        Assert.Empty(indexed.DropIndex("t_bc").Indexes);
        AssertBad(() => indexed.DropIndex("nope"), "index \"nope\" does not exist");
    }

    [Theory]
    [InlineData("CREATE TABLE t (id BIGINT PRIMARY KEY, name VARCHAR(20) NOT NULL DEFAULT 'a''b', price DECIMAL(10, 2) DEFAULT 1.50, d DECIMAL, x DOUBLE PRECISION DEFAULT -1e3, ts TIMESTAMP DEFAULT now(), b BYTEA, s SMALLINT, r REAL, ok BOOLEAN DEFAULT TRUE, n INTEGER DEFAULT 1 + 2 * 3)")]
    [InlineData("CREATE TABLE t (a INT, b TEXT, c INT UNIQUE, PRIMARY KEY (b, a), UNIQUE (b, c))")]
    [InlineData("CREATE TABLE log (msg TEXT DEFAULT NULL, v VARCHAR)")]
    public void ToValue_FromValue_RoundTripsExactly(string sql)
    {
        var schema = Create(sql).AddIndex("extra", new[] { "a", "b" }.Where(c => Create(sql).FindColumn(c) >= 0).DefaultIfEmpty("msg").ToImmutableArray(), unique: false);
        schema = schema.AddColumn(((AlterTableAddColumnStatement)Parser.Parse($"ALTER TABLE {schema.Name} ADD z DECIMAL(5, 1) DEFAULT 2.5")).Column, 2.5m);
        var value = schema.ToValue();
        var back = TableSchema.FromValue(value);

        Assert.Equal(value, back.ToValue());
        Assert.Equal(schema.Name, back.Name);
        Assert.Equal(schema.PrimaryKey.AsEnumerable(), back.PrimaryKey.AsEnumerable());
        Assert.Equal(schema.Columns.Length, back.Columns.Length);
        for (var i = 0; i < schema.Columns.Length; i++)
        {
            var (a, b) = (schema.Columns[i], back.Columns[i]);
            Assert.Equal(a.Name, b.Name);
            Assert.Equal(a.Type, b.Type);
            Assert.Equal(a.NotNull, b.NotNull);
            Assert.Equal(a.Unique, b.Unique);
            Assert.Equal(a.MissingValue, b.MissingValue);
            Assert.Equal(a.Default is null, b.Default is null);
            if (a.Default is not null)
            {
                Assert.True(SyntaxComparer.Instance.Equals(a.Default, b.Default), $"{a.Default} vs {b.Default}");
            }
        }

        Assert.Equal(schema.Indexes.Select(i => (i.Name, i.Unique, string.Join(",", i.Columns))), back.Indexes.Select(i => (i.Name, i.Unique, string.Join(",", i.Columns))));
    }

    [Fact]
    public void FromValue_Malformed_IsCorruption()
    {
        var value = Create("CREATE TABLE t (a INT)").ToValue();
        var broken = Value.Map(value.AsMap().SetItem("primary_key", Value.List(Value.From(5L))));
        Assert.Equal(ErrorCodes.Corruption, Assert.Throws<CohortException>(() => TableSchema.FromValue(broken)).Code);
        Assert.Equal(ErrorCodes.Corruption, Assert.Throws<CohortException>(() => TableSchema.FromValue(Value.From(3L))).Code);
        var badType = Value.Map(value.AsMap().SetItem("columns", Value.List(Value.Map(value.AsMap()["columns"].AsList()[0].AsMap().SetItem("type", Value.Map(("kind", "Blob")))))));
        Assert.Equal(ErrorCodes.Corruption, Assert.Throws<CohortException>(() => TableSchema.FromValue(badType)).Code);
    }

    private static void AssertBad(Action action, string message)
    {
        var error = Assert.Throws<CohortException>(action);
        Assert.Equal(message, error.Message);
        Assert.Equal(ErrorCodes.BadOperation, error.Code);
        Assert.False(error.IsTransient);
    }
}
