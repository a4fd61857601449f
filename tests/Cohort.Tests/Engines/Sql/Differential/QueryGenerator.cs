using System.Collections.Immutable;
using System.Globalization;

namespace Cohort.Tests.Engines.Sql.Differential;

/// <summary>
/// Random SELECTs over <see cref="DifferentialDataset"/> from a fixed seed, restricted to what PostgreSQL
/// and SQLite evaluate alike: typed expressions (never text against numbers), integer division and
/// remainder only by non-zero integer literals, % only on integers, no round() of doubles, every operator
/// fully parenthesized (the dialects rank || and IS differently), ORDER BY only on columns with explicit
/// NULLS placement and the primary key last (or every GROUP BY key), and LIMIT only under such a total
/// order. Scalar subqueries are aggregates: one row, as PostgreSQL requires (SQLite would take the first of many).
/// </summary>
internal sealed class QueryGenerator(int seed)
{
    private static readonly string[] TextLiterals = ["'oslo'", "'paris'", "'ann'", "'Ann'", "'bob'", "'new'", "'paid'", "'SKU-007'", "'m'", "''", "'gift'"];
    private static readonly string[] LikePatterns = ["'a%'", "'%a%'", "'_o%'", "'%n'", "'A%'", "'%@%'", "'%.com'", "'SKU-00_'", "'%i%'", "'p%'", "'%'"];
    private static readonly string[] TimestampLiterals =
        ["'2023-03-01 00:00:00'", "'2023-09-15 12:00:00'", "'2024-01-15 00:00:00'", "'2024-03-01 06:30:00'", "'2024-05-20 00:00:00'", "'2024-07-01 00:00:00'"];

    private readonly Random _random = new(seed);

    // Subqueries get fresh aliases (o1, i2, …) so that an inner reference never means an outer table by accident;
    // none inside GROUP BY keys or aggregate arguments, and at most two levels deep.
    private int _aliases;
    private int _subqueryDepth;
    private bool _subqueriesAllowed = true;

    /// <summary>The FROM clauses the generator draws from: one table, or an inner or left join of two.</summary>
    private sealed record Source(string From, ImmutableArray<(string Alias, DatasetTable Table)> Tables);

    private sealed record Column(string Sql, ColumnType Type, bool Nullable);

    public IEnumerable<DifferentialQuery> Generate(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var id = $"g{i + 1:D3}";
            var (sql, ordered) = _random.Next(10) switch
            {
                0 or 1 or 2 => Filter(),
                3 => Ordered(),
                4 or 5 => Grouped(),
                6 => Aggregate(),
                7 => Subquery(),
                8 => Distinct(),
                _ => Derived(),
            };
            yield return new DifferentialQuery(id, sql, ordered, []);
        }
    }

    private (string, bool) Filter()
    {
        var source = PickSource();
        var items = Enumerable.Range(0, _random.Next(1, 4)).Select(i => $"{AnyExpression(source, 2)} AS c{i}");
        return ($"SELECT {PrimaryKeys(source)}, {string.Join(", ", items)} FROM {source.From} WHERE {Predicate(source, 3)}", false);
    }

    private (string, bool) Ordered()
    {
        var source = PickSource();
        // Not d.s: a SUM of decimals is exact in Cohort but a float sum in SQLite, so equal sums may not tie there.
        var sortable = Columns(source).Where(c => c.Type != ColumnType.Boolean && c.Sql != "d.s").ToList();
        var keys = new List<string>();
        for (var i = _random.Next(1, 3); i > 0; i--)
        {
            var column = Pick(sortable);
            keys.Add($"{column.Sql}{(_random.Next(2) == 0 ? "" : " DESC")} NULLS {(_random.Next(2) == 0 ? "FIRST" : "LAST")}");
        }

        // The primary keys last make the order total (a LEFT JOIN's missing row has a NULL key, once per left row).
        keys.AddRange(source.Tables.Select(t => $"{t.Alias}.{t.Table.PrimaryKey.Name}{(_random.Next(2) == 0 ? "" : " DESC")} NULLS FIRST"));
        var selected = string.Join(", ", keys.Select(k => k[..k.IndexOf(' ', StringComparison.Ordinal)]).Distinct());
        var limit = _random.Next(3) switch
        {
            0 => "",
            1 => $" LIMIT {_random.Next(0, 15)}",
            _ => $" LIMIT {_random.Next(1, 15)} OFFSET {_random.Next(0, 20)}",
        };
        var where = _random.Next(3) == 0 ? "" : $" WHERE {Predicate(source, 2)}";
        return ($"SELECT {selected} FROM {source.From}{where} ORDER BY {string.Join(", ", keys)}{limit}", true);
    }

    private (string, bool) Grouped()
    {
        var source = PickSource();
        var keys = Enumerable.Range(0, _random.Next(1, 3)).Select(_ => GroupKey(source)).Distinct().ToList();
        var aggregates = Enumerable.Range(0, _random.Next(1, 4)).Select(_ => AggregateCall(source)).ToList();
        var having = _random.Next(3) switch
        {
            0 => "",
            1 => $" HAVING COUNT(*) {Pick(["> 1", ">= 3", "< 5", "= 1"])}",
            _ => $" HAVING {HavingPredicate(source)}",
        };
        var where = _random.Next(2) == 0 ? "" : $" WHERE {Predicate(source, 2)}";
        var select = $"SELECT {string.Join(", ", keys)}, {string.Join(", ", aggregates)} FROM {source.From}{where} GROUP BY {string.Join(", ", keys)}{having}";
        if (_random.Next(3) != 0)
        {
            return (select, false);
        }

        // Groups are distinct in their keys, so ordering by every key with explicit NULLS placement is total.
        var order = keys.Select(k => $"{k}{(_random.Next(2) == 0 ? "" : " DESC")} NULLS {(_random.Next(2) == 0 ? "FIRST" : "LAST")}");
        var limit = _random.Next(2) == 0 ? "" : $" LIMIT {_random.Next(1, 8)}";
        return ($"{select} ORDER BY {string.Join(", ", order)}{limit}", true);
    }

    /// <summary>A GROUP BY key: a column, or a simple expression of one (no subqueries, no aggregates).</summary>
    private string GroupKey(Source source)
    {
        var column = Pick(Columns(source).Where(c => c.Type is ColumnType.Text or ColumnType.Integer or ColumnType.Boolean && !c.Sql.EndsWith(".id", StringComparison.Ordinal)).ToList());
        return (column.Type, _random.Next(4)) switch
        {
            (ColumnType.Integer, 0) => $"({column.Sql} / {Int(_random.Next(2, 11))})",
            (ColumnType.Integer, 1) => $"coalesce({column.Sql}, {Int(_random.Next(-1, 3))})",
            (ColumnType.Integer, 2) => $"CASE WHEN {column.Sql} > {Int(_random.Next(0, 40))} THEN 'hi' ELSE 'lo' END",
            (ColumnType.Text, 0) => $"lower({column.Sql})",
            (ColumnType.Text, 1) => $"coalesce({column.Sql}, 'none')",
            (ColumnType.Text, 2) => $"length({column.Sql})",
            _ => column.Sql,
        };
    }

    private string HavingPredicate(Source source)
    {
        var column = Pick(Columns(source).Where(c => c.Type != ColumnType.Boolean).ToList());
        var predicate = column.Type switch
        {
            ColumnType.Integer => $"{Pick(["SUM", "MIN", "MAX"])}({column.Sql}) {Comparison()} {Int(_random.Next(0, 60))}",
            ColumnType.Decimal or ColumnType.Double => $"{Pick(["SUM", "MIN", "MAX", "AVG"])}({column.Sql}) {Comparison()} {Pick(["10", "50.5", "100", "250"])}",
            ColumnType.Timestamp => $"{Pick(["MIN", "MAX"])}({column.Sql}) {Comparison()} {Pick(TimestampLiterals)}",
            _ => $"{Pick(["MIN", "MAX"])}({column.Sql}) {Comparison()} {Pick(TextLiterals)}",
        };
        return _random.Next(3) == 0 ? $"({predicate} OR COUNT(DISTINCT {column.Sql}) >= 2)" : predicate;
    }

    private (string, bool) Aggregate()
    {
        var source = PickSource();
        var aggregates = Enumerable.Range(0, _random.Next(1, 4)).Select(_ => AggregateCall(source));
        return ($"SELECT COUNT(*), {string.Join(", ", aggregates)} FROM {source.From} WHERE {Predicate(source, 3)}", false);
    }

    private (string, bool) Subquery()
    {
        var outer = Single("users", "u");
        switch (_random.Next(4))
        {
            case 0:
            {
                var inner = Single("orders", "o");
                var negated = _random.Next(2) == 0 ? "NOT " : "";
                return ($"SELECT u.id FROM users u WHERE u.id {negated}IN (SELECT o.user_id FROM orders o WHERE {Predicate(inner, 2)})", false);
            }

            case 1:
            {
                var inner = Single("orders", "o");
                var negated = _random.Next(2) == 0 ? "NOT " : "";
                return ($"SELECT u.id, u.name FROM users u WHERE {negated}EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id AND {Predicate(inner, 2)}) AND {Predicate(outer, 1)}", false);
            }

            case 2:
            {
                var inner = Single("items", "i");
                var negated = _random.Next(2) == 0 ? "NOT " : "";
                return ($"SELECT o.id, o.status FROM orders o WHERE {negated}EXISTS (SELECT 1 FROM items i WHERE i.order_id = o.id AND {Predicate(inner, 2)})", false);
            }

            default:
            {
                var aggregate = Pick(["COUNT(*)", "SUM(o.quantity)", "MAX(o.total)", "MIN(o.placed)", "COUNT(o.note)"]);
                return ($"SELECT u.id, (SELECT {aggregate} FROM orders o WHERE o.user_id = u.id) AS x FROM users u WHERE {Predicate(outer, 2)}", false);
            }
        }
    }

    private (string, bool) Distinct()
    {
        var source = PickSource();
        var items = Enumerable.Range(0, _random.Next(1, 3)).Select(i => $"{AnyExpression(source, 1)} AS c{i}");
        var where = _random.Next(3) == 0 ? "" : $" WHERE {Predicate(source, 2)}";
        return ($"SELECT DISTINCT {string.Join(", ", items)} FROM {source.From}{where}", false);
    }

    private (string, bool) Derived()
    {
        var source = Single(Pick(["users", "orders", "items"]), "t");
        var inner = $"SELECT {PrimaryKeys(source)} AS k, {IntExpression(source, 2)} AS a, {TextExpression(source, 1)} AS b FROM {source.From} WHERE {Predicate(source, 2)}";
        var outerPredicate = _random.Next(3) switch
        {
            0 => $"d.a {Pick(["<", ">", "<=", ">=", "=", "<>"])} {_random.Next(-5, 60)}",
            1 => $"d.b IS {(_random.Next(2) == 0 ? "" : "NOT ")}NULL",
            _ => $"(d.a IS NULL OR d.b LIKE {Pick(LikePatterns)})",
        };
        return _random.Next(2) == 0
            ? ($"SELECT d.k, d.a, d.b FROM ({inner}) d WHERE {outerPredicate}", false)
            : ($"SELECT d.b, COUNT(*), SUM(d.a), MAX(d.a) FROM ({inner}) AS d GROUP BY d.b", false);
    }

    private string AggregateCall(Source source)
    {
        if (_random.Next(5) == 0)
        {
            var saved = _subqueriesAllowed;
            _subqueriesAllowed = false;
            var argument = IntExpression(source, 1);
            _subqueriesAllowed = saved;
            return $"{Pick(["SUM", "MIN", "MAX", "AVG", "COUNT"])}({argument})";
        }

        var columns = Columns(source).Where(c => c.Type != ColumnType.Boolean).ToList();
        var column = Pick(columns);
        if (column.Type is ColumnType.Integer or ColumnType.Decimal or ColumnType.Double)
        {
            return _random.Next(6) switch
            {
                0 => $"SUM({column.Sql})",
                1 => $"AVG({column.Sql})",
                2 => $"MIN({column.Sql})",
                3 => $"MAX({column.Sql})",
                4 => $"COUNT(DISTINCT {column.Sql})",
                _ => $"COUNT({column.Sql})",
            };
        }

        return _random.Next(4) switch
        {
            0 => $"MIN({column.Sql})",
            1 => $"MAX({column.Sql})",
            2 => $"COUNT(DISTINCT {column.Sql})",
            _ => $"COUNT({column.Sql})",
        };
    }

    private string AnyExpression(Source source, int depth) => _random.Next(6) switch
    {
        0 or 1 => IntExpression(source, depth),
        2 => NumberExpression(source, depth),
        3 or 4 => TextExpression(source, depth),
        _ => Predicate(source, depth),
    };

    private string IntExpression(Source source, int depth)
    {
        var leaf = depth <= 0 || _random.Next(3) == 0;
        if (leaf)
        {
            var ints = Columns(source).Where(c => c.Type == ColumnType.Integer).ToList();
            return _random.Next(4) == 0 ? Int(_random.Next(-5, 60)) : Pick(ints).Sql;
        }

        if (CanNest() && _random.Next(8) == 0)
        {
            return ScalarSubquery(source);
        }

        return _random.Next(9) switch
        {
            0 => $"({IntExpression(source, depth - 1)} + {IntExpression(source, depth - 1)})",
            1 => $"({IntExpression(source, depth - 1)} - {IntExpression(source, depth - 1)})",
            2 => $"({IntExpression(source, depth - 1)} * {Int(_random.Next(-3, 4))})",
            3 => $"({IntExpression(source, depth - 1)} / {Int(NonZero(-4, 8))})",
            4 => $"({IntExpression(source, depth - 1)} % {Int(_random.Next(2, 7))})",
            5 => $"abs({IntExpression(source, depth - 1)})",
            6 => $"coalesce({IntExpression(source, depth - 1)}, {Int(_random.Next(-5, 60))})",
            7 => $"length({TextExpression(source, depth - 1)})",
            _ => $"CASE WHEN {Predicate(source, depth - 1)} THEN {IntExpression(source, depth - 1)} ELSE {IntExpression(source, depth - 1)} END",
        };
    }

    private string NumberExpression(Source source, int depth)
    {
        var numbers = Columns(source).Where(c => c.Type is ColumnType.Decimal or ColumnType.Double).ToList();
        if (numbers.Count == 0 || depth <= 0 || _random.Next(3) == 0)
        {
            return numbers.Count == 0 ? IntExpression(source, depth) : Pick(numbers).Sql;
        }

        var column = Pick(numbers).Sql;
        return _random.Next(6) switch
        {
            0 => $"({column} + {IntExpression(source, depth - 1)})",
            1 => $"({column} * {Int(_random.Next(-3, 5))})",
            2 => $"({column} / {Int(NonZero(-4, 9))})",
            3 => $"({column} - {Pick(["0.5", "1.25", "10", "0.75"])})",
            4 => $"coalesce({column}, {Pick(["0", "-1.5", "100"])})",
            _ => $"abs({column} - 50)",
        };
    }

    private string TextExpression(Source source, int depth)
    {
        var texts = Columns(source).Where(c => c.Type == ColumnType.Text).ToList();
        if (texts.Count == 0)
        {
            return $"CAST({IntExpression(source, depth)} AS TEXT)";
        }

        if (depth <= 0 || _random.Next(3) == 0)
        {
            return _random.Next(5) == 0 ? Pick(TextLiterals) : Pick(texts).Sql;
        }

        return _random.Next(6) switch
        {
            0 => $"lower({TextExpression(source, depth - 1)})",
            1 => $"upper({TextExpression(source, depth - 1)})",
            2 => $"({TextExpression(source, depth - 1)} || {TextExpression(source, depth - 1)})",
            3 => $"coalesce({TextExpression(source, depth - 1)}, {Pick(TextLiterals)})",
            4 => $"CAST({IntExpression(source, depth - 1)} AS TEXT)",
            _ => $"CASE WHEN {Predicate(source, depth - 1)} THEN {TextExpression(source, depth - 1)} ELSE {Pick(TextLiterals)} END",
        };
    }

    private string Predicate(Source source, int depth)
    {
        if (depth > 0 && CanNest() && _random.Next(7) == 0)
        {
            return SubqueryPredicate(source);
        }

        if (depth > 0 && _random.Next(3) == 0)
        {
            return _random.Next(5) switch
            {
                0 or 1 => $"({Predicate(source, depth - 1)} AND {Predicate(source, depth - 1)})",
                2 or 3 => $"({Predicate(source, depth - 1)} OR {Predicate(source, depth - 1)})",
                _ => $"(NOT {Predicate(source, depth - 1)})",
            };
        }

        var column = Pick(Columns(source).ToList());
        var nullTest = $"({column.Sql} IS {(_random.Next(2) == 0 ? "" : "NOT ")}NULL)";
        if (column.Nullable && _random.Next(5) == 0)
        {
            return nullTest;
        }

        var not = _random.Next(4) == 0 ? "NOT " : "";
        switch (column.Type)
        {
            case ColumnType.Boolean:
                return _random.Next(3) == 0 ? $"({column.Sql} = {Pick(["TRUE", "FALSE"])})" : $"({not}{column.Sql})";
            case ColumnType.Integer:
                return _random.Next(6) switch
                {
                    0 => $"({column.Sql} {not}BETWEEN {Int(_random.Next(-3, 40))} AND {Int(_random.Next(10, 80))})",
                    1 => $"({column.Sql} {not}IN ({string.Join(", ", Enumerable.Range(0, _random.Next(1, 5)).Select(_ => _random.Next(6) == 0 ? "NULL" : Int(_random.Next(-2, 50))))}))",
                    2 => $"({IntExpression(source, 1)} {Comparison()} {IntExpression(source, 1)})",
                    _ => $"({column.Sql} {Comparison()} {Int(_random.Next(-3, 60))})",
                };
            case ColumnType.Decimal or ColumnType.Double:
                return _random.Next(4) switch
                {
                    0 => $"({column.Sql} {not}BETWEEN {Pick(["0", "10.5", "25"])} AND {Pick(["50", "99.99", "300"])})",
                    1 => $"({NumberExpression(source, 1)} {Comparison()} {IntExpression(source, 0)})",
                    _ => $"({column.Sql} {Comparison()} {Pick(["0", "0.5", "12.25", "50", "100", "250.75", "400"])})",
                };
            case ColumnType.Timestamp:
                return _random.Next(3) == 0
                    ? $"({column.Sql} {not}BETWEEN {TimestampLiterals[_random.Next(3)]} AND {TimestampLiterals[_random.Next(3, TimestampLiterals.Length)]})"
                    : $"({column.Sql} {Comparison()} {Pick(TimestampLiterals)})";
            default:
                return _random.Next(5) switch
                {
                    0 => $"({TextExpression(source, 1)} {not}LIKE {Pick(LikePatterns)})",
                    1 => $"({column.Sql} {not}IN ({string.Join(", ", Enumerable.Range(0, _random.Next(1, 4)).Select(_ => Pick(TextLiterals)))}))",
                    2 => $"({TextExpression(source, 1)} {Comparison()} {TextExpression(source, 1)})",
                    _ => $"({column.Sql} {Comparison()} {Pick(TextLiterals)})",
                };
        }
    }

    private Source PickSource() => _random.Next(9) switch
    {
        0 or 1 => Single("users", "u"),
        2 => Single("orders", "o"),
        3 => Single("items", "i"),
        4 => Join("users", "u", "orders", "o", "o.user_id = u.id"),
        5 => Join("orders", "o", "items", "i", "i.order_id = o.id"),
        6 => ThreeWay(),
        7 => WithDerived(),
        _ => Join("users", "u", "orders", "o", "o.user_id = u.id"),
    };

    // users, their orders, and those orders' items; LEFT JOINs keep users without orders and orders without items.
    private Source ThreeWay()
    {
        var first = _random.Next(2) == 0 ? "JOIN" : "LEFT JOIN";
        var second = _random.Next(2) == 0 ? "JOIN" : "LEFT JOIN";
        return new Source(
            $"users u {first} orders o ON o.user_id = u.id {second} items i ON i.order_id = o.id",
            [("u", DifferentialDataset.Table("users")), ("o", DifferentialDataset.Table("orders")), ("i", DifferentialDataset.Table("items"))]);
    }

    // users joined to per-user order aggregates (one row per user_id, so d.user_id is a key of d).
    private Source WithDerived()
    {
        var kind = _random.Next(2) == 0 ? "JOIN" : "LEFT JOIN";
        var where = _random.Next(2) == 0 ? "" : $" WHERE {Pick(["status <> 'cancelled'", "total > 50", "quantity >= 3", "note IS NULL"])}";
        var derived = new DatasetTable(
            "d",
            [new("user_id", ColumnType.Integer, true), new("n", ColumnType.Integer, false), new("s", ColumnType.Decimal, true), new("latest", ColumnType.Timestamp, false)],
            [],
            []);
        return new Source(
            $"users u {kind} (SELECT user_id, COUNT(*) AS n, SUM(total) AS s, MAX(placed) AS latest FROM orders{where} GROUP BY user_id) d ON d.user_id = u.id",
            [("u", DifferentialDataset.Table("users")), ("d", derived)]);
    }

    private bool CanNest() => _subqueriesAllowed && _subqueryDepth < 2;

    /// <summary>An aggregate over rows of another table correlated with an integer of the current row: one value, maybe NULL.</summary>
    private string ScalarSubquery(Source outer)
    {
        var key = Pick(Columns(outer).Where(c => c.Type == ColumnType.Integer).ToList()).Sql;
        var (table, column) = Pick<(string, string)>([("orders", "user_id"), ("items", "order_id"), ("orders", "quantity")]);
        var alias = NewAlias(table);
        var inner = Single(table, alias);
        _subqueryDepth++;
        var where = _random.Next(2) == 0 ? "" : $" AND {Predicate(inner, 1)}";
        var aggregate = table == "orders"
            ? Pick([$"COUNT(*)", $"SUM({alias}.quantity)", $"MAX({alias}.quantity)", $"COUNT({alias}.total)"])
            : Pick([$"COUNT(*)", $"SUM({alias}.qty)", $"MIN({alias}.qty)"]);
        _subqueryDepth--;
        return $"(SELECT {aggregate} FROM {table} {alias} WHERE {alias}.{column} = {key}{where})";
    }

    /// <summary>[NOT] IN (SELECT …), [NOT] EXISTS (correlated), or a comparison with a correlated aggregate.</summary>
    private string SubqueryPredicate(Source outer)
    {
        var key = Pick(Columns(outer).Where(c => c.Type == ColumnType.Integer).ToList()).Sql;
        var not = _random.Next(3) == 0 ? "NOT " : "";
        _subqueryDepth++;
        string result;
        switch (_random.Next(3))
        {
            case 0:
            {
                var (table, column) = Pick<(string, string)>([("orders", "user_id"), ("items", "order_id"), ("items", "qty"), ("users", "age"), ("orders", "quantity")]);
                var alias = NewAlias(table);
                result = $"({key} {not}IN (SELECT {alias}.{column} FROM {table} {alias} WHERE {Predicate(Single(table, alias), 2)}))";
                break;
            }

            case 1:
            {
                var (table, column) = Pick<(string, string)>([("orders", "user_id"), ("items", "order_id"), ("users", "id"), ("orders", "id")]);
                var alias = NewAlias(table);
                result = $"({not}EXISTS (SELECT 1 FROM {table} {alias} WHERE {alias}.{column} = {key} AND {Predicate(Single(table, alias), 2)}))";
                break;
            }

            default:
            {
                var alias = NewAlias("items");
                var aggregate = Pick([$"MAX({alias}.qty)", $"COUNT(*)", $"SUM({alias}.qty)", $"MIN({alias}.order_id)"]);
                result = $"({key} {Comparison()} (SELECT {aggregate} FROM items {alias} WHERE {alias}.order_id = {key} OR {Predicate(Single("items", alias), 1)}))";
                break;
            }
        }

        _subqueryDepth--;
        return result;
    }

    private string NewAlias(string table) => $"{table[0]}{++_aliases}";

    private static Source Single(string table, string alias) =>
        new($"{table} {alias}", [(alias, DifferentialDataset.Table(table))]);

    private Source Join(string left, string leftAlias, string right, string rightAlias, string on)
    {
        var kind = _random.Next(2) == 0 ? "JOIN" : "LEFT JOIN";
        return new Source(
            $"{left} {leftAlias} {kind} {right} {rightAlias} ON {on}",
            [(leftAlias, DifferentialDataset.Table(left)), (rightAlias, DifferentialDataset.Table(right))]);
    }

    private static IEnumerable<Column> Columns(Source source) =>
        source.Tables.SelectMany(t => t.Table.Columns.Select(c => new Column($"{t.Alias}.{c.Name}", c.Type, c.Nullable || source.Tables.Length > 1)));

    private static string PrimaryKeys(Source source) => string.Join(", ", source.Tables.Select(t => $"{t.Alias}.{t.Table.PrimaryKey.Name}"));

    private string Comparison() => Pick(["=", "<>", "<", "<=", ">", ">="]);

    private int NonZero(int min, int max)
    {
        while (true)
        {
            var n = _random.Next(min, max);
            if (n != 0)
            {
                return n;
            }
        }
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private static string Int(long value) => value < 0 ? $"({value.ToString(CultureInfo.InvariantCulture)})" : value.ToString(CultureInfo.InvariantCulture);
}
