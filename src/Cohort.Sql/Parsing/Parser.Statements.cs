using System.Collections.Immutable;
using Cohort.Sql.Ast;

namespace Cohort.Sql.Parsing;

/// <content>Statements: queries, DML and DDL.</content>
internal sealed partial class Parser
{
    private Statement ParseStatement()
    {
        var token = Current;
        return token.Kind is TokenKind.Keyword or TokenKind.Identifier
            ? token.Name switch
            {
                "select" or "values" or "with" => ParseQuery(),
                "insert" => ParseInsert(),
                "update" => ParseUpdate(),
                "delete" => ParseDelete(),
                "create" => ParseCreate(),
                "drop" => ParseDrop(),
                "alter" => ParseAlter(),
                "explain" => ParseExplain(),
                _ => throw Error("expected a statement (SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER or EXPLAIN)"),
            }
            : token.Kind == TokenKind.LeftParen ? ParseQuery()
            : throw Error("expected a statement (SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER or EXPLAIN)");
    }

    // SELECT … [FROM …] [WHERE …] [GROUP BY …] [HAVING …]: the ORDER BY, LIMIT, OFFSET and AS OF after it belong to the
    // query around it (see ParseQuery), which puts them back into this node when there is no set operation.
    private SelectStatement ParseSelectCore()
    {
        var start = ExpectWord("select");
        Enter();
        var distinct = AcceptWord("distinct");
        if (!distinct)
        {
            AcceptWord("all");
        }

        var items = ParseSelectItems();
        ImmutableArray<TableSource> from = [];
        Expression? asOf = null;
        if (AcceptWord("from"))
        {
            var sources = ImmutableArray.CreateBuilder<TableSource>();
            do
            {
                sources.Add(ParseTableSource());
            }
            while (Accept(TokenKind.Comma));

            from = sources.ToImmutable();
            asOf = ParseAsOf();
        }

        var where = AcceptWord("where") ? ParseExpression() : null;
        ImmutableArray<Expression> groupBy = [];
        if (AcceptWord("group"))
        {
            ExpectWord("by");
            groupBy = ParseExpressionList();
        }

        var having = AcceptWord("having") ? ParseExpression() : null;
        Leave();
        return new SelectStatement(distinct, items, from, where, groupBy, having, [], null, null, asOf) { Position = start.Position };
    }

    private Expression? ParseAsOf()
    {
        if (!(Current.IsWord("as") && Peek(1).IsWord("of")))
        {
            return null;
        }

        Advance();
        Advance();
        return ParseExpression();
    }

    private ImmutableArray<SelectItem> ParseSelectItems()
    {
        var items = ImmutableArray.CreateBuilder<SelectItem>();
        do
        {
            var token = Current;
            if (Accept(TokenKind.Star))
            {
                items.Add(new WildcardSelectItem(null) { Position = token.Position });
            }
            else if (token.Kind is TokenKind.Identifier or TokenKind.QuotedIdentifier && Peek(1).Kind == TokenKind.Dot && Peek(2).Kind == TokenKind.Star)
            {
                Advance();
                Advance();
                Advance();
                items.Add(new WildcardSelectItem(token.Name) { Position = token.Position });
            }
            else
            {
                var expression = ParseExpression();
                string? alias = null;
                if (Current.IsWord("as") && !Peek(1).IsWord("of"))
                {
                    Advance();

                    // As in PostgreSQL, any word can be a column alias after AS, a reserved one too (SELECT 1 AS case).
                    alias = Current.Kind == TokenKind.Keyword ? Advance().Name : ParseName("an alias");
                }
                else if (Current.Kind is TokenKind.Identifier or TokenKind.QuotedIdentifier)
                {
                    alias = Advance().Name;
                }

                items.Add(new ExpressionSelectItem(expression, alias) { Position = token.Position });
            }
        }
        while (Accept(TokenKind.Comma));

        return items.ToImmutable();
    }

    private ImmutableArray<OrderByItem> ParseOrderBy()
    {
        var items = ImmutableArray.CreateBuilder<OrderByItem>();
        do
        {
            var start = Current;
            var expression = ParseExpression();
            var descending = false;
            if (AcceptWord("desc"))
            {
                descending = true;
            }
            else
            {
                AcceptWord("asc");
            }

            var nulls = NullsOrder.Default;
            if (AcceptWord("nulls"))
            {
                nulls = AcceptWord("first") ? NullsOrder.First
                    : AcceptWord("last") ? NullsOrder.Last
                    : throw Error("expected FIRST or LAST");
            }

            items.Add(new OrderByItem(expression, descending, nulls) { Position = start.Position });
        }
        while (Accept(TokenKind.Comma));

        return items.ToImmutable();
    }

    private TableSource ParseTableSource()
    {
        var left = ParseTablePrimary();
        while (true)
        {
            var token = Current;
            JoinKind kind;
            if (AcceptWord("join"))
            {
                kind = JoinKind.Inner;
            }
            else if (AcceptWord("inner"))
            {
                ExpectWord("join");
                kind = JoinKind.Inner;
            }
            else if (AcceptWord("left"))
            {
                AcceptWord("outer");
                ExpectWord("join");
                kind = JoinKind.Left;
            }
            else if (AcceptWord("cross"))
            {
                ExpectWord("join");
                kind = JoinKind.Cross;
            }
            else if (AcceptWord("right"))
            {
                AcceptWord("outer");
                ExpectWord("join");
                kind = JoinKind.Right;
            }
            else if (AcceptWord("full"))
            {
                AcceptWord("outer");
                ExpectWord("join");
                kind = JoinKind.Full;
            }
            else if (token.IsWord("natural"))
            {
                throw Error("NATURAL JOIN is not supported; use JOIN … ON");
            }
            else
            {
                return left;
            }

            var right = ParseTablePrimary();
            Expression? condition = null;
            if (kind != JoinKind.Cross)
            {
                if (!AcceptWord("on"))
                {
                    throw Error(Current.IsWord("using") ? "JOIN … USING is not supported; use ON" : "expected ON and a join condition");
                }

                condition = ParseExpression();
            }

            left = new JoinedTable(kind, left, right, condition) { Position = token.Position };
        }
    }

    private TableSource ParseTablePrimary()
    {
        var token = Current;
        if (token.Kind == TokenKind.LeftParen)
        {
            Advance();
            Enter();
            TableSource source;
            if ((IsQueryStart() ? ParseQuery() : Current.Kind == TokenKind.LeftParen ? TryParseQuery() : null) is { } query)
            {
                Expect(TokenKind.RightParen, $"')' to close the '(' at line {token.Position.Line}, column {token.Position.Column}");
                AcceptWord("as");
                var alias = ParseName("an alias for the subquery");
                var columns = Current.Kind == TokenKind.LeftParen ? ParseNameList("a column alias") : [];
                source = new DerivedTable(query, alias) { Position = token.Position, ColumnAliases = columns };
            }
            else
            {
                source = ParseTableSource();
                Expect(TokenKind.RightParen, $"')' to close the '(' at line {token.Position.Line}, column {token.Position.Column}");
            }

            Leave();
            return source;
        }

        var name = ParseName("a table name");
        return new TableReference(name, ParseTableAlias()) { Position = token.Position };
    }

    private string? ParseTableAlias()
    {
        if (Current.IsWord("as") && !Peek(1).IsWord("of"))
        {
            Advance();
            return ParseName("an alias");
        }

        return Current.Kind is TokenKind.Identifier or TokenKind.QuotedIdentifier ? Advance().Name : null;
    }

    private InsertStatement ParseInsert()
    {
        var start = Advance();
        ExpectWord("into");
        var table = ParseName("a table name");
        // INSERT INTO t (SELECT …) is a query in parentheses, not a column list.
        var next = Peek(1);
        var columns = Current.Kind == TokenKind.LeftParen && !(next.IsWord("select") || next.IsWord("values") || next.IsWord("with") || next.Kind == TokenKind.LeftParen)
            ? ParseNameList("a column name")
            : [];
        InsertSource source;
        var sourceToken = Current;
        if (AcceptWord("values"))
        {
            var rows = ImmutableArray.CreateBuilder<ImmutableArray<Expression>>();
            do
            {
                var open = Expect(TokenKind.LeftParen, "'(' and a row of values");
                Enter();
                var row = ParseExpressionList();
                Expect(TokenKind.RightParen, $"',' or ')' to close the '(' at line {open.Position.Line}, column {open.Position.Column}");
                Leave();
                if (rows.Count > 0 && row.Length != rows[0].Length)
                {
                    throw ErrorAt(open, $"VALUES rows must all have the same number of values (the first has {rows[0].Length}, this one {row.Length})");
                }

                rows.Add(row);
            }
            while (Accept(TokenKind.Comma));

            source = new ValuesSource(rows.ToImmutable()) { Position = sourceToken.Position };
        }
        else if (Current.IsWord("select") || Current.IsWord("with") || Current.Kind == TokenKind.LeftParen)
        {
            source = new QuerySource(ParseQuery()) { Position = sourceToken.Position };
        }
        else
        {
            throw Error("expected VALUES or SELECT");
        }

        OnConflictClause? onConflict = null;
        var on = Current;
        if (AcceptWord("on"))
        {
            ExpectWord("conflict");
            var target = Current.Kind == TokenKind.LeftParen ? ParseNameList("a column name") : [];
            ExpectWord("do");
            if (AcceptWord("nothing"))
            {
                onConflict = new OnConflictClause(target, ConflictAction.DoNothing, [], null) { Position = on.Position };
            }
            else if (Current.IsWord("update"))
            {
                if (target.IsEmpty)
                {
                    throw Error("ON CONFLICT DO UPDATE needs a conflict target, e.g. ON CONFLICT (id)");
                }

                Advance();
                ExpectWord("set");
                var assignments = ParseAssignments();
                var where = AcceptWord("where") ? ParseExpression() : null;
                onConflict = new OnConflictClause(target, ConflictAction.DoUpdate, assignments, where) { Position = on.Position };
            }
            else
            {
                throw Error("expected NOTHING or UPDATE");
            }
        }

        return new InsertStatement(table, columns, source, onConflict, ParseReturning()) { Position = start.Position };
    }

    private ImmutableArray<Assignment> ParseAssignments()
    {
        var assignments = ImmutableArray.CreateBuilder<Assignment>();
        do
        {
            var column = Current;
            var name = ParseName("a column name");
            if (Current.Kind == TokenKind.Dot)
            {
                throw Error("expected '='; the column to set cannot be qualified");
            }

            Expect(TokenKind.Equal, "'='");
            assignments.Add(new Assignment(name, ParseExpression()) { Position = column.Position });
        }
        while (Accept(TokenKind.Comma));

        return assignments.ToImmutable();
    }

    private ImmutableArray<SelectItem> ParseReturning() => AcceptWord("returning") ? ParseSelectItems() : [];

    private UpdateStatement ParseUpdate()
    {
        var start = Advance();
        var table = ParseTargetTable();
        ExpectWord("set");
        var assignments = ParseAssignments();
        var where = AcceptWord("where") ? ParseExpression() : null;
        return new UpdateStatement(table, assignments, where, ParseReturning()) { Position = start.Position };
    }

    private DeleteStatement ParseDelete()
    {
        var start = Advance();
        ExpectWord("from");
        var table = ParseTargetTable();
        var where = AcceptWord("where") ? ParseExpression() : null;
        return new DeleteStatement(table, where, ParseReturning()) { Position = start.Position };
    }

    private TableReference ParseTargetTable()
    {
        var token = Current;
        var name = ParseName("a table name");
        return new TableReference(name, ParseTableAlias()) { Position = token.Position };
    }

    private Statement ParseCreate()
    {
        var start = Advance();
        if (AcceptWord("table"))
        {
            return IsCreateTableAs() ? ParseCreateTableAs(start) : ParseCreateTable(start);
        }

        var unique = AcceptWord("unique");
        if (AcceptWord("index"))
        {
            return ParseCreateIndex(start, unique);
        }

        throw Error(unique ? "expected INDEX" : "expected TABLE, INDEX or UNIQUE INDEX after CREATE");
    }

    private bool ParseIfNotExists()
    {
        if (Current.IsWord("if") && Peek(1).IsWord("not"))
        {
            Advance();
            Advance();
            ExpectWord("exists");
            return true;
        }

        return false;
    }

    private bool ParseIfExists()
    {
        if (Current.IsWord("if") && Peek(1).IsWord("exists"))
        {
            Advance();
            Advance();
            return true;
        }

        return false;
    }

    private CreateTableStatement ParseCreateTable(Token start)
    {
        var ifNotExists = ParseIfNotExists();
        var name = ParseName("a table name");
        Expect(TokenKind.LeftParen, "'(' and column definitions");
        var columns = ImmutableArray.CreateBuilder<ColumnDefinition>();
        var constraints = ImmutableArray.CreateBuilder<TableConstraint>();
        do
        {
            if (Current.IsWord("constraint") || Current.IsWord("primary") || Current.IsWord("unique") || Current.IsWord("check") || Current.IsWord("foreign"))
            {
                constraints.Add(ParseTableConstraint());
            }
            else
            {
                columns.Add(ParseColumnDefinition());
            }
        }
        while (Accept(TokenKind.Comma));

        Expect(TokenKind.RightParen, "',' or ')'");
        if (columns.Count == 0)
        {
            throw ErrorAt(start, "CREATE TABLE needs at least one column");
        }

        return new CreateTableStatement(name, ifNotExists, columns.ToImmutable(), constraints.ToImmutable()) { Position = start.Position };
    }

    private TableConstraint ParseTableConstraint()
    {
        var start = Current;
        var name = AcceptWord("constraint") ? ParseName("a constraint name") : null;
        TableConstraintKind kind;
        if (AcceptWord("primary"))
        {
            ExpectWord("key");
            kind = TableConstraintKind.PrimaryKey;
        }
        else if (AcceptWord("unique"))
        {
            kind = TableConstraintKind.Unique;
        }
        else
        {
            throw Error("expected PRIMARY KEY or UNIQUE (CHECK and FOREIGN KEY constraints are not supported)");
        }

        return new TableConstraint(kind, ParseNameList("a column name"), name) { Position = start.Position };
    }

    private ColumnDefinition ParseColumnDefinition()
    {
        var start = Current;
        var name = ParseName("a column name");
        var type = ParseType();
        bool notNull = false, nullable = false, primaryKey = false, unique = false;
        Expression? defaultValue = null;
        while (true)
        {
            var token = Current;
            if (AcceptWord("constraint"))
            {
                ParseName("a constraint name");
                if (!(Current.IsWord("not") || Current.IsWord("null") || Current.IsWord("primary") || Current.IsWord("unique") || Current.IsWord("default")))
                {
                    throw Error("expected NOT NULL, NULL, PRIMARY KEY, UNIQUE or DEFAULT");
                }
            }
            else if (AcceptWord("not"))
            {
                ExpectWord("null");
                notNull = nullable ? throw ErrorAt(token, "conflicting NULL and NOT NULL") : true;
            }
            else if (AcceptWord("null"))
            {
                nullable = notNull ? throw ErrorAt(token, "conflicting NULL and NOT NULL") : true;
            }
            else if (AcceptWord("primary"))
            {
                ExpectWord("key");
                primaryKey = primaryKey ? throw ErrorAt(token, "PRIMARY KEY given twice") : true;
            }
            else if (AcceptWord("unique"))
            {
                unique = true;
            }
            else if (AcceptWord("default"))
            {
                if (defaultValue is not null)
                {
                    throw ErrorAt(token, "DEFAULT given twice");
                }

                defaultValue = ParseExpression();
            }
            else if (token.IsWord("references") || token.IsWord("check"))
            {
                throw Error("REFERENCES and CHECK constraints are not supported");
            }
            else
            {
                break;
            }
        }

        return new ColumnDefinition(name, type, notNull, primaryKey, unique, defaultValue) { Position = start.Position };
    }

    private CreateIndexStatement ParseCreateIndex(Token start, bool unique)
    {
        var ifNotExists = ParseIfNotExists();
        var name = ParseName("an index name");
        ExpectWord("on");
        var table = ParseName("a table name");
        var open = Expect(TokenKind.LeftParen, "'(' and the index keys");
        Enter();
        var elements = ImmutableArray.CreateBuilder<IndexElement>();
        do
        {
            IndexElement element;
            if (Current.Kind == TokenKind.LeftParen)
            {
                element = new IndexElement(null, ParseParenthesized(), false, NullsOrder.Default);
            }
            else if (Current.Kind is TokenKind.Identifier or TokenKind.QuotedIdentifier && Peek(1).Kind == TokenKind.LeftParen)
            {
                // A function call needs no parentheses of its own: ON t (lower(s)).
                element = new IndexElement(null, ParseFunctionCall(), false, NullsOrder.Default);
            }
            else
            {
                element = new IndexElement(ParseName("a column name"), null, false, NullsOrder.Default);
            }

            var descending = AcceptWord("desc");
            if (!descending)
            {
                AcceptWord("asc");
            }

            var nulls = NullsOrder.Default;
            if (AcceptWord("nulls"))
            {
                nulls = AcceptWord("first") ? NullsOrder.First : AcceptWord("last") ? NullsOrder.Last : throw Error("expected FIRST or LAST after NULLS");
            }

            elements.Add(element with { Descending = descending, Nulls = nulls });
        }
        while (Accept(TokenKind.Comma));

        Expect(TokenKind.RightParen, $"',' or ')' to close the '(' at line {open.Position.Line}, column {open.Position.Column}");
        Leave();

        // The columns the keys read, each once, in order of first use.
        var columns = ImmutableArray.CreateBuilder<string>();
        foreach (var element in elements)
        {
            var names = element.Column is { } c ? [c] : SyntaxTree.DescendantsAndSelf(element.Expression!).OfType<ColumnReference>().Select(r => r.Column);
            foreach (var column in names)
            {
                if (!columns.Contains(column) || element.Column is not null)
                {
                    columns.Add(column);
                }
            }
        }

        return new CreateIndexStatement(name, table, columns.ToImmutable(), unique, ifNotExists, elements.ToImmutable()) { Position = start.Position };
    }

    private Statement ParseDrop()
    {
        var start = Advance();
        if (AcceptWord("table"))
        {
            var ifExists = ParseIfExists();
            var names = ImmutableArray.CreateBuilder<string>();
            do
            {
                // A table named twice is dropped once.
                var name = ParseName("a table name");
                if (!names.Contains(name))
                {
                    names.Add(name);
                }
            }
            while (Accept(TokenKind.Comma));

            // RESTRICT is what happens anyway (nothing depends on a table); CASCADE would drop what does, and there is nothing.
            _ = AcceptWord("restrict");
            return new DropTableStatement(names.ToImmutable(), ifExists) { Position = start.Position };
        }

        if (AcceptWord("index"))
        {
            var ifExists = ParseIfExists();
            return new DropIndexStatement(ParseName("an index name"), ifExists) { Position = start.Position };
        }

        throw Error("expected TABLE or INDEX after DROP");
    }

    private Statement ParseAlter()
    {
        var start = Advance();
        ExpectWord("table");
        var table = ParseName("a table name");
        if (AcceptWord("drop"))
        {
            AcceptWord("column");
            var ifExists = ParseIfExists();
            var column = ParseName("a column name");
            var cascade = AcceptWord("cascade");
            if (!cascade)
            {
                AcceptWord("restrict");
            }

            return new AlterTableDropColumnStatement(table, column, ifExists, cascade) { Position = start.Position };
        }

        if (AcceptWord("rename"))
        {
            if (AcceptWord("to"))
            {
                return new AlterTableRenameStatement(table, ParseName("a table name")) { Position = start.Position };
            }

            AcceptWord("column");
            var column = ParseName("a column name");
            ExpectWord("to");
            return new AlterTableRenameColumnStatement(table, column, ParseName("a column name")) { Position = start.Position };
        }

        if (!Current.IsWord("add"))
        {
            throw Error("expected ADD, DROP or RENAME");
        }

        Advance();
        if (Current.IsWord("constraint") || Current.IsWord("primary") || Current.IsWord("unique"))
        {
            throw Error("only ADD COLUMN is supported");
        }

        AcceptWord("column");
        var ifNotExists = ParseIfNotExists();
        return new AlterTableAddColumnStatement(table, ParseColumnDefinition(), ifNotExists) { Position = start.Position };
    }

    private ExplainStatement ParseExplain()
    {
        var start = Advance();
        if (!(IsQueryStart() || Current.IsWord("insert") || Current.IsWord("update") || Current.IsWord("delete")))
        {
            throw Error("expected SELECT, VALUES, WITH, INSERT, UPDATE or DELETE after EXPLAIN");
        }

        return new ExplainStatement(ParseStatement()) { Position = start.Position };
    }
}
