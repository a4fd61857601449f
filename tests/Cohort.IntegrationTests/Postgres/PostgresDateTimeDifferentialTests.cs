using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Postgres;

/// <summary>
/// Cohort's SQL engine against a real PostgreSQL 15 on generated queries over DATE, TIME, TIMESTAMP, INTERVAL and UUID
/// (literals in their input forms, malformed and out-of-range input, casts, arithmetic, comparisons, ORDER BY,
/// extract/date_part/date_trunc, make_date, age), the bitwise integer operators, and ALTER TABLE DROP/RENAME sequences
/// followed by SELECTs. Nothing here reads the clock.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Postgres")]
public sealed class PostgresDateTimeDifferentialTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private const int Seed = 1515;
    private const int GeneratedCount = 700;

    private static readonly string[] Setup =
    [
        "CREATE TABLE dt (id INTEGER PRIMARY KEY, d DATE, t TIME, ts TIMESTAMP, iv INTERVAL, u UUID, n INTEGER, b BIGINT, s SMALLINT)",
        "INSERT INTO dt VALUES (1, '2024-01-31', '12:34:56', '2024-01-31 12:34:56', '1 day 2 hours', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 5, 1024, 3)",
        "INSERT INTO dt VALUES (2, '2024-02-29', '00:00:00', '2024-02-29 23:59:59.5', '1 mon 2 days', 'A0EEBC999C0B4EF8BB6D6BB9BD380A12', -3, -1, -2)",
        "INSERT INTO dt VALUES (3, '1999-12-31', '23:59:59.999999', '1999-12-31 23:59:59', '-3 days +04:00:00', '{00000000-0000-0000-0000-000000000000}', 0, 9223372036854775807, 0)",
        "INSERT INTO dt VALUES (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
        "INSERT INTO dt VALUES (5, '2023-03-01', '08:05:00.25', '2023-03-01 08:05:00.25', '1 year 3 mons', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 255, -9223372036854775808, 32767)",
        "INSERT INTO dt VALUES (6, '2000-01-01', '24:00:00', '2000-01-01 00:00:00', '36 hours', '12345678-1234-5678-1234-567812345678', 1, 4294967296, -32768)",
        "INSERT INTO dt VALUES (7, '2024-12-31', '06:30:00', '2024-12-30 06:30:00.000001', '00:00:00.5', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 2147483647, 7, 1)",
        "INSERT INTO dt VALUES (8, '1970-01-01', '13:00:00', '1970-01-01 00:00:00', '-1 mons -15 days', '6ba7b810-9dad-11d1-80b4-00c04fd430c8', -2147483648, 65535, 15)",
    ];

    private static readonly string[] DateLiterals =
    [
        "'2024-01-31'", "'2024-02-29'", "'2023-02-28'", "'1999-12-31'", "'2000-01-01'", "'1970-01-01'", "'2024-12-31'", "'2021-06-15'",
        "'1901-01-01'", "'2099-12-31'", "'2024-3-5'", "'20240115'", "'2024-01-31 10:00:00'", "' 2024-07-04 '", "'epoch'",
    ];

    private static readonly string[] BadDateLiterals =
    [
        "'2023-02-29'", "'2024-13-01'", "'2024-00-10'", "'2024-04-31'", "'2024-01-32'", "'not a date'", "''", "'2024/01/01x'", "'2024-01-01 25:00:00'",
    ];

    private static readonly string[] TimeLiterals =
    [
        "'12:34:56'", "'00:00:00'", "'23:59:59.999999'", "'24:00:00'", "'08:05'", "'1:02:03'", "'12:00:00.5'", "'06:30:00.1234567'",
        "'2024-01-31 10:11:12'", "'23:59:60'",
    ];

    private static readonly string[] BadTimeLiterals = ["'25:00:00'", "'12:60:00'", "'24:00:01'", "'noon-ish'", "'12:30:61'"];

    private static readonly string[] TimestampLiterals =
    [
        "'2024-01-31 12:34:56'", "'2024-02-29 00:00:00'", "'1999-12-31 23:59:59.999999'", "'2000-01-01'", "'2024-03-10 02:30:00'",
        "'2023-01-01 00:00:00.5'", "'2024-06-15T08:00:00'", "'1970-01-01 00:00:00'", "'2024-05-31 18:45'",
    ];

    private static readonly string[] BadTimestampLiterals = ["'2024-02-30 00:00:00'", "'2024-01-01 24:30:00'", "'yesterday-ish'", "'2024-01-01 12:61:00'"];

    private static readonly string[] IntervalLiterals =
    [
        "'1 day'", "'3 days'", "'1 day 2 hours'", "'2 hours 30 minutes'", "'1 mon'", "'1 month 2 days'", "'1 year'", "'1 year 2 mons 3 days'",
        "'36 hours'", "'-1 day'", "'00:30:00'", "'1 day 02:00:00'", "'-2 hours'", "'90 minutes'", "'1.5 days'", "'2 weeks'", "'0.5 hours'",
        "'10 seconds'", "'1 day -2 hours'", "'-1 mon 3 days'", "'1 day ago'", "'100'", "'1:02:03.25'", "'@ 2 days 3 hours'", "'1.5 months'",
        "'3 mons -20 days'", "'0'", "'1 millisecond'", "'7 days'",
    ];

    private static readonly string[] BadIntervalLiterals = ["'1 fortnight'", "'abc'", "'1 day 1 day'", "'5 parsecs'"];

    private static readonly string[] UuidLiterals =
    [
        "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", "'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'",
        "'a0eebc999c0b4ef8bb6d6bb9bd380a11'", "'a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11'", "'00000000-0000-0000-0000-000000000000'",
        "'6ba7b810-9dad-11d1-80b4-00c04fd430c8'",
    ];

    private static readonly string[] BadUuidLiterals =
    [
        "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1'", "'g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "'a0eebc99-9c0b4-ef8-bb6d-6bb9bd380a11'",
        "'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "' a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
    ];

    private static readonly string[] TimestampFields = ["year", "month", "day", "hour", "minute", "second", "dow", "doy", "epoch", "quarter", "week", "isodow", "isoyear", "decade", "century", "millennium", "milliseconds", "microseconds"];

    private static readonly string[] DateFields = ["year", "month", "day", "dow", "doy", "epoch", "quarter", "week", "isodow", "decade", "century", "hour"];

    private static readonly string[] TimeFields = ["hour", "minute", "second", "milliseconds", "microseconds", "epoch", "day"];

    private static readonly string[] IntervalFields = ["year", "month", "day", "hour", "minute", "second", "epoch", "milliseconds", "quarter", "decade", "dow"];

    private static readonly string[] TruncFields = ["microseconds", "milliseconds", "second", "minute", "hour", "day", "week", "month", "quarter", "year", "decade", "century", "millennium"];

    [Fact]
    public async Task GeneratedQueries_AgreeWithPostgres()
    {
        var queries = new QueryGenerator(new Random(Seed)).Generate(GeneratedCount);
        var report = await PostgresDifferential.RunAsync(fixture.Server, "datetime", Setup, queries);
        report.WriteTo(output, $"seed {Seed}");
        Assert.True(queries.Count >= 600, $"only {queries.Count} queries were generated");
        report.AssertAgreed();
    }

    [Fact]
    public async Task AlterTableSequences_AgreeWithPostgres()
    {
        var total = 0;
        foreach (var (name, setup, queries) in AlterSequences())
        {
            var report = await PostgresDifferential.RunAsync(fixture.Server, name, setup, queries);
            report.WriteTo(output, name);
            report.AssertAgreed();
            total += queries.Length;
        }

        Assert.True(total >= 40, $"only {total} queries after ALTER TABLE sequences");
    }

    private static IEnumerable<(string Name, string[] Setup, string[] Queries)> AlterSequences()
    {
        string[] table =
        [
            "CREATE TABLE at (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c DATE, e INTERVAL)",
            "CREATE INDEX at_b ON at (b)",
            "CREATE INDEX at_bc ON at (b DESC, c)",
            "CREATE UNIQUE INDEX at_a ON at (a)",
            "CREATE INDEX at_lower ON at ((lower(a)))",
            "INSERT INTO at VALUES (1, 'One', 10, '2024-01-01', '1 day'), (2, 'two', 20, '2024-02-01', '2 hours'), (3, 'Three', NULL, NULL, NULL), (4, 'four', 10, '2023-12-31', '1 mon')",
        ];
        string[] probes =
        [
            "SELECT * FROM at ORDER BY id",
            "SELECT id FROM at WHERE b = 10 ORDER BY id",
            "SELECT id FROM at WHERE lower(a) = 'two'",
            "SELECT count(*) FROM at",
        ];
        yield return ("alter_drop", [.. table, "ALTER TABLE at DROP COLUMN b", "INSERT INTO at VALUES (5, 'five', '2025-01-01', '3 days')"],
        [
            .. probes, "SELECT id, a, c, e FROM at ORDER BY c NULLS FIRST, id", "SELECT b FROM at", "SELECT id, e FROM at WHERE e > '1 day' ORDER BY e, id",
            "SELECT a FROM at WHERE a = 'five'", "SELECT count(*) FROM at WHERE c < DATE '2024-01-15'",
        ]);
        yield return ("alter_drop_if", [.. table, "ALTER TABLE at DROP COLUMN IF EXISTS nope", "ALTER TABLE at DROP COLUMN IF EXISTS c", "ALTER TABLE at DROP e RESTRICT"],
            [.. probes, "SELECT c FROM at", "SELECT e FROM at", "SELECT * FROM at WHERE id > 1 ORDER BY id DESC"]);
        yield return ("alter_rename_col", [.. table, "ALTER TABLE at RENAME COLUMN b TO bee", "ALTER TABLE at RENAME c TO day"],
        [
            "SELECT * FROM at ORDER BY id", "SELECT bee FROM at ORDER BY id", "SELECT b FROM at", "SELECT id FROM at WHERE bee = 10 ORDER BY id",
            "SELECT day + 1 FROM at ORDER BY id", "SELECT id FROM at WHERE day > '2024-01-01' ORDER BY id",
        ]);
        yield return ("alter_rename_table", [.. table, "ALTER TABLE at RENAME TO bt", "INSERT INTO bt VALUES (6, 'six', 60, '2026-06-06', '6 days')"],
        [
            "SELECT * FROM bt ORDER BY id", "SELECT * FROM at", "SELECT id FROM bt WHERE b = 10 ORDER BY id", "SELECT id FROM bt WHERE lower(a) = 'six'",
            "SELECT count(*) FROM bt", "SELECT max(c) FROM bt",
        ]);
        yield return ("alter_mixed",
        [
            .. table, "ALTER TABLE at ADD COLUMN f INTEGER DEFAULT 7", "ALTER TABLE at DROP COLUMN a", "ALTER TABLE at RENAME COLUMN f TO g",
            "INSERT INTO at (id, b, c, e, g) VALUES (9, 90, '2020-02-02', '9 hours', 99)", "UPDATE at SET b = b + 1 WHERE id < 3", "ALTER TABLE at DROP COLUMN c CASCADE",
        ],
        [
            "SELECT * FROM at ORDER BY id", "SELECT id, g FROM at WHERE g > 10", "SELECT sum(b), sum(g) FROM at", "SELECT a FROM at", "SELECT c FROM at",
            "SELECT id FROM at WHERE b = 11 ORDER BY id", "SELECT id, e * 2 FROM at ORDER BY e DESC NULLS LAST, id",
        ]);
        yield return ("alter_drop_readd",
        [
            .. table, "ALTER TABLE at DROP COLUMN b", "ALTER TABLE at ADD COLUMN b TEXT DEFAULT 'x'", "ALTER TABLE at DROP COLUMN e",
            "ALTER TABLE at RENAME a TO e", "CREATE INDEX at_b2 ON at (b DESC NULLS LAST)", "INSERT INTO at VALUES (7, 'seven', '2027-07-07', 'y')",
        ],
        [
            "SELECT * FROM at ORDER BY id", "SELECT id, b FROM at WHERE b = 'x' ORDER BY id", "SELECT id FROM at WHERE b = 'y'", "SELECT e FROM at ORDER BY e",
            "SELECT count(*) FROM at WHERE c IS NULL", "SELECT a FROM at", "SELECT id, c + 1 FROM at ORDER BY c DESC NULLS LAST, id",
        ]);
        yield return ("alter_rename_both",
        [
            .. table, "ALTER TABLE at RENAME COLUMN a TO name", "ALTER TABLE at RENAME TO renamed", "ALTER TABLE renamed RENAME COLUMN name TO a",
            "ALTER TABLE renamed DROP COLUMN IF EXISTS e", "UPDATE renamed SET b = 5 WHERE id = 3", "DELETE FROM renamed WHERE id = 4",
        ],
        [
            "SELECT * FROM renamed ORDER BY id", "SELECT id FROM renamed WHERE a = 'two'", "SELECT id FROM renamed WHERE lower(a) = 'three'",
            "SELECT id FROM renamed WHERE b = 5", "SELECT name FROM renamed", "SELECT * FROM at",
        ]);
    }

    /// <summary>Queries from a seed over the <c>dt</c> table and literals of every date/time type.</summary>
    private sealed class QueryGenerator(Random random)
    {
        private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

        public List<string> Generate(int count)
        {
            var queries = new List<string>(count);
            queries.AddRange(FixedQueries());
            while (queries.Count < count)
            {
                queries.Add(random.Next(16) switch
                {
                    0 => $"SELECT {Literal()}",
                    1 => $"SELECT {BadLiteral()}",
                    2 or 3 => $"SELECT id, {TypedExpression(Pick(Kinds), 2)} FROM dt",
                    4 => $"SELECT id FROM dt WHERE {Comparison()}",
                    5 => OrderQuery(),
                    6 or 7 => $"SELECT id, {Extract()} FROM dt",
                    8 => $"SELECT id, date_trunc('{Pick(TruncFields)}', {TypedExpression("ts", 1)}) FROM dt",
                    9 or 10 => $"SELECT id, {Bitwise(2)} FROM dt",
                    11 => $"SELECT {Bitwise(2, literalsOnly: true)}",
                    12 => $"SELECT id, {TypedExpression(Pick(Kinds), 1)} {Pick(Comparisons)} {TypedExpression(Pick(Kinds), 1)} FROM dt",
                    13 => $"SELECT {Pick(Aggregates)}({TypedExpression(Pick(Kinds), 1)}) FROM dt",
                    14 => $"SELECT id, ({TypedExpression(Pick(Kinds), 1)})::text FROM dt",
                    _ => $"SELECT {TypedExpression(Pick(Kinds), 2, literalsOnly: true)}",
                });
            }

            return queries;
        }

        private static readonly string[] Kinds = ["date", "time", "ts", "interval", "uuid"];

        private static readonly string[] Comparisons = ["=", "<>", "<", "<=", ">", ">="];

        private static readonly string[] Aggregates = ["min", "max", "count"];

        private static IEnumerable<string> FixedQueries()
        {
            foreach (var d in DateLiterals)
            {
                yield return $"SELECT DATE {d}, {d}::date, CAST({d} AS date)";
            }

            foreach (var t in TimeLiterals)
            {
                yield return $"SELECT TIME {t}, {t}::time, CAST({t} AS time without time zone)";
            }

            foreach (var ts in TimestampLiterals)
            {
                yield return $"SELECT TIMESTAMP {ts}, {ts}::timestamp";
            }

            foreach (var iv in IntervalLiterals)
            {
                yield return $"SELECT INTERVAL {iv}, {iv}::interval, -{iv}::interval";
            }

            foreach (var u in UuidLiterals)
            {
                yield return $"SELECT {u}::uuid, CAST({u} AS uuid) = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid";
            }

            foreach (var bad in BadDateLiterals)
            {
                yield return $"SELECT {bad}::date";
            }

            foreach (var bad in BadTimeLiterals)
            {
                yield return $"SELECT {bad}::time";
            }

            foreach (var bad in BadTimestampLiterals)
            {
                yield return $"SELECT {bad}::timestamp";
            }

            foreach (var bad in BadIntervalLiterals)
            {
                yield return $"SELECT {bad}::interval";
            }

            foreach (var bad in BadUuidLiterals)
            {
                yield return $"SELECT {bad}::uuid";
            }

            foreach (var column in new[] { "d", "t", "ts", "iv", "u" })
            {
                yield return $"SELECT id, {column} FROM dt";
                yield return $"SELECT id, {column} FROM dt ORDER BY {column}, id";
                yield return $"SELECT id, {column} FROM dt ORDER BY {column} DESC NULLS LAST, id";
                yield return $"SELECT {column}, count(*) FROM dt GROUP BY {column} ORDER BY {column}";
                yield return $"SELECT min({column}), max({column}) FROM dt";
                yield return $"SELECT DISTINCT {column} FROM dt ORDER BY {column}";
            }

            yield return "SELECT make_date(2024, 2, 29), make_date(2023, 12, 31)";
            yield return "SELECT make_date(2023, 2, 29)";
            yield return "SELECT make_date(2024, 13, 1)";
            yield return "SELECT id, make_date(2024, n % 12 + 1, 1) FROM dt WHERE n > 0";
            yield return "SELECT age(TIMESTAMP '2024-03-31 10:00:00', TIMESTAMP '2023-01-15 12:00:00')";
            yield return "SELECT age(TIMESTAMP '2020-01-01', TIMESTAMP '2024-02-29 06:00:00')";
            yield return "SELECT id, age(ts, TIMESTAMP '2000-01-01') FROM dt";
            yield return "SELECT id, age(TIMESTAMP '2024-06-30', ts) FROM dt";
            yield return "SELECT justify_hours(INTERVAL '50 hours'), justify_days(INTERVAL '45 days'), justify_hours(INTERVAL '-50 hours')";
            yield return "SELECT id, d - DATE '2000-01-01' FROM dt ORDER BY id";
            yield return "SELECT id, d + 1, d - 1, 7 + d FROM dt ORDER BY id";
            yield return "SELECT id, d + iv, d - iv, iv + d FROM dt ORDER BY id";
            yield return "SELECT id, ts + iv, ts - iv, iv + ts FROM dt ORDER BY id";
            yield return "SELECT id, ts - TIMESTAMP '2000-01-01 00:00:00', TIMESTAMP '2000-01-01' - ts FROM dt ORDER BY id";
            yield return "SELECT id, t + iv, t - iv, iv + t FROM dt ORDER BY id";
            yield return "SELECT id, t - TIME '12:00:00' FROM dt ORDER BY id";
            yield return "SELECT id, d + t, t + d FROM dt ORDER BY id";
            yield return "SELECT id, iv + iv, iv - INTERVAL '1 day', iv * 2, iv * 1.5, 3 * iv, iv / 2, iv / 3, -iv FROM dt ORDER BY id";
            yield return "SELECT id, iv * 0.1, iv / 7, iv * -1 FROM dt ORDER BY id";
            yield return "SELECT iv / 0 FROM dt WHERE id = 1";
            yield return "SELECT id FROM dt WHERE iv = INTERVAL '24 hours' OR iv = '30 days'";
            yield return "SELECT INTERVAL '1 day' = INTERVAL '24 hours', INTERVAL '1 mon' = INTERVAL '30 days', INTERVAL '1 year' > INTERVAL '360 days'";
            yield return "SELECT id FROM dt WHERE d = ts ORDER BY id";
            yield return "SELECT id FROM dt WHERE d < ts ORDER BY id";
            yield return "SELECT id FROM dt WHERE d BETWEEN '2000-01-01' AND '2024-02-01' ORDER BY id";
            yield return "SELECT id FROM dt WHERE ts BETWEEN '2000-01-01' AND '2024-02-01' ORDER BY id";
            yield return "SELECT id FROM dt WHERE iv BETWEEN '1 hour' AND '2 days' ORDER BY id";
            yield return "SELECT id FROM dt WHERE d IN ('2024-01-31', '1970-01-01') ORDER BY id";
            yield return "SELECT id FROM dt WHERE u IN ('a0eebc999c0b4ef8bb6d6bb9bd380a11', '{6ba7b810-9dad-11d1-80b4-00c04fd430c8}') ORDER BY id";
            yield return "SELECT id FROM dt WHERE u = 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11' ORDER BY id";
            yield return "SELECT id FROM dt WHERE t > '12:00' ORDER BY id";
            yield return "SELECT id FROM dt WHERE ts >= '2024-01-01' ORDER BY id";
            yield return "SELECT d + 1.5 FROM dt";
            yield return "SELECT d + d FROM dt";
            yield return "SELECT ts + ts FROM dt";
            yield return "SELECT d * 2 FROM dt";
            yield return "SELECT u + 1 FROM dt";
            yield return "SELECT d + b FROM dt";
            yield return "SELECT t + t FROM dt";
            yield return "SELECT d || 'x', t || '', iv || '!' FROM dt WHERE id = 1";
            yield return "SELECT d::timestamp, ts::date, ts::time, t::interval, d::text, iv::text, u::text FROM dt ORDER BY id";
            yield return "SELECT '2024-01-31'::date + 1, '2024-01-31 10:00'::timestamp + '1 hour'::interval, '10:00'::time + '90 minutes'::interval";
            yield return "SELECT TIMESTAMP '2024-01-31 00:00:00' + INTERVAL '1 month', DATE '2024-01-31' + INTERVAL '1 mon', TIMESTAMP '2024-03-31' - INTERVAL '1 mon'";
            yield return "SELECT TIMESTAMP '2024-02-29 00:00:00' + INTERVAL '1 year', TIMESTAMP '2024-02-29' - INTERVAL '12 mons 1 day'";
            yield return "SELECT ts + '1 day' FROM dt ORDER BY id";
            yield return "SELECT ts - '2024-01-01' FROM dt ORDER BY id";
            yield return "SELECT d - '2024-01-01' FROM dt ORDER BY id";
            yield return "SELECT CAST(d AS timestamp) = ts, d::timestamp < ts FROM dt ORDER BY id";
            yield return "SELECT extract(year FROM DATE '2024-02-29'), extract(dow FROM DATE '2024-02-29'), extract(doy FROM DATE '2024-12-31'), extract(week FROM DATE '2021-01-03')";
            yield return "SELECT extract(hour FROM DATE '2024-02-29')";
            yield return "SELECT date_part('hour', DATE '2024-02-29'), date_part('year', DATE '2024-02-29')";
            yield return "SELECT extract(epoch FROM TIMESTAMP '2024-01-01 00:00:00.5'), extract(epoch FROM INTERVAL '1 year 1 mon 1 day 01:00:00')";
            yield return "SELECT extract(second FROM TIME '12:34:56.789'), extract(milliseconds FROM TIMESTAMP '2024-01-01 00:00:01.25')";
            yield return "SELECT extract(fortnight FROM TIMESTAMP '2024-01-01')";
            yield return "SELECT extract(year FROM '2024-01-01')";
            yield return "SELECT extract(year FROM 5)";
            yield return "SELECT date_trunc('month', TIMESTAMP '2024-02-29 13:14:15'), date_trunc('week', TIMESTAMP '2024-02-29 13:14:15'), date_trunc('quarter', TIMESTAMP '2024-11-29')";
            yield return "SELECT date_trunc('hour', INTERVAL '1 day 02:03:04'), date_trunc('year', INTERVAL '1 year 5 mons 2 days'), date_trunc('month', INTERVAL '-1 year -5 mons -2 days')";
            yield return "SELECT date_trunc('week', INTERVAL '15 days')";
            yield return "SELECT date_trunc('fortnight', TIMESTAMP '2024-01-01')";
            yield return "SELECT id, date_trunc('day', iv) FROM dt ORDER BY id";
            yield return "SELECT 5 & 3, 5 | 3, 5 # 3, ~5, 1 << 4, 256 >> 3, -8 >> 1";
            yield return "SELECT 1 << 31, 1 << 32, 1 << 33, 1::bigint << 63, 1::bigint << 64, (-1) >> 40";
            yield return "SELECT 1::smallint << 15, 1::smallint << 16, 16384::smallint << 1, (-32768)::smallint >> 15";
            yield return "SELECT 1 + 2 & 3, 1 | 2 + 4, 2 * 3 # 1, ~1 + 2, 6 & 3 = 2, 1 << 2 << 3, 5 & 3 | 8 # 1, 'a' || 1 & 3";
            yield return "SELECT 7 & 3 || 'x'";
            yield return "SELECT 1.5 & 1";
            yield return "SELECT 'a' & 1";
            yield return "SELECT ~1.5";
            yield return "SELECT 1 << 2::bigint";
            yield return "SELECT id, n & b, n | s, n # s, ~n, ~b, s << 2, n >> 1, b << 1 FROM dt ORDER BY id";
            yield return "SELECT id FROM dt WHERE n & 1 = 1 ORDER BY id";
            yield return "SELECT id, n FROM dt ORDER BY n & 7, id";
            yield return "SELECT sum(n & 255), max(b >> 8) FROM dt";
            yield return "SELECT count(*) FROM dt WHERE u > '80000000-0000-0000-0000-000000000000'";
            yield return "SELECT id, u FROM dt WHERE u IS NOT NULL ORDER BY u DESC, id";
            yield return "SELECT u, count(*) FROM dt GROUP BY u ORDER BY count(*) DESC, u";
            yield return "SELECT id, iv FROM dt ORDER BY iv DESC NULLS FIRST, id";
            yield return "SELECT id FROM dt WHERE iv > INTERVAL '1 day' ORDER BY id";
            yield return "SELECT sum(n) FROM dt GROUP BY iv > '1 day' ORDER BY 1";
        }

        private string Literal() => random.Next(5) switch
        {
            0 => $"DATE {Pick(DateLiterals)}",
            1 => $"TIME {Pick(TimeLiterals)}",
            2 => $"TIMESTAMP {Pick(TimestampLiterals)}",
            3 => $"INTERVAL {Pick(IntervalLiterals)}",
            _ => $"{Pick(UuidLiterals)}::uuid",
        };

        private string BadLiteral() => random.Next(5) switch
        {
            0 => $"{Pick(BadDateLiterals)}::date",
            1 => $"TIME {Pick(BadTimeLiterals)}",
            2 => $"CAST({Pick(BadTimestampLiterals)} AS timestamp)",
            3 => $"INTERVAL {Pick(BadIntervalLiterals)}",
            _ => $"{Pick(BadUuidLiterals)}::uuid",
        };

        private string TypedExpression(string kind, int depth, bool literalsOnly = false)
        {
            var roll = random.Next(depth > 0 ? 10 : 5);
            var column = !literalsOnly && roll < 2;
            switch (kind)
            {
                case "date":
                    if (column)
                    {
                        return "d";
                    }

                    return roll switch
                    {
                        5 => $"({TypedExpression("date", depth - 1, literalsOnly)} + {random.Next(-400, 400)})",
                        6 => $"({TypedExpression("date", depth - 1, literalsOnly)} - {random.Next(0, 40)})",
                        7 => $"make_date({random.Next(1990, 2030)}, {random.Next(1, 13)}, {random.Next(1, 29)})",
                        8 => $"({TypedExpression("ts", depth - 1, literalsOnly)})::date",
                        _ => random.Next(3) switch { 0 => $"DATE {Pick(DateLiterals)}", 1 => $"{Pick(DateLiterals)}::date", _ => $"CAST({Pick(DateLiterals)} AS date)" },
                    };
                case "time":
                    if (column)
                    {
                        return "t";
                    }

                    return roll switch
                    {
                        5 or 6 => $"({TypedExpression("time", depth - 1, literalsOnly)} {(roll == 5 ? "+" : "-")} {TypedExpression("interval", depth - 1, literalsOnly)})",
                        7 => $"({TypedExpression("ts", depth - 1, literalsOnly)})::time",
                        _ => random.Next(2) == 0 ? $"TIME {Pick(TimeLiterals)}" : $"{Pick(TimeLiterals)}::time",
                    };
                case "ts":
                    if (column)
                    {
                        return "ts";
                    }

                    return roll switch
                    {
                        5 => $"({TypedExpression(random.Next(2) == 0 ? "ts" : "date", depth - 1, literalsOnly)} + {TypedExpression("interval", depth - 1, literalsOnly)})",
                        6 => $"({TypedExpression(random.Next(2) == 0 ? "ts" : "date", depth - 1, literalsOnly)} - {TypedExpression("interval", depth - 1, literalsOnly)})",
                        7 => $"({TypedExpression("date", depth - 1, literalsOnly)} + {TypedExpression("time", depth - 1, literalsOnly)})",
                        8 => $"date_trunc('{Pick(TruncFields)}', {TypedExpression("ts", depth - 1, literalsOnly)})",
                        9 => $"({TypedExpression("date", depth - 1, literalsOnly)})::timestamp",
                        _ => random.Next(2) == 0 ? $"TIMESTAMP {Pick(TimestampLiterals)}" : $"{Pick(TimestampLiterals)}::timestamp",
                    };
                case "interval":
                    if (column)
                    {
                        return "iv";
                    }

                    return roll switch
                    {
                        5 => $"({TypedExpression("interval", depth - 1, literalsOnly)} {(random.Next(2) == 0 ? "+" : "-")} {TypedExpression("interval", depth - 1, literalsOnly)})",
                        6 => $"({TypedExpression("interval", depth - 1, literalsOnly)} * {Pick(new[] { "2", "3", "-1", "0.5", "1.5", "0" })})",
                        7 => $"({TypedExpression("interval", depth - 1, literalsOnly)} / {Pick(new[] { "2", "4", "0.5", "3" })})",
                        8 => $"({TypedExpression("ts", depth - 1, literalsOnly)} - {TypedExpression(random.Next(2) == 0 ? "ts" : "date", depth - 1, literalsOnly)})",
                        9 => $"({TypedExpression("time", depth - 1, literalsOnly)} - {TypedExpression("time", depth - 1, literalsOnly)})",
                        _ => random.Next(2) == 0 ? $"INTERVAL {Pick(IntervalLiterals)}" : $"{Pick(IntervalLiterals)}::interval",
                    };
                default:
                    return column ? "u" : $"{Pick(UuidLiterals)}::uuid";
            }
        }

        private string Comparison()
        {
            var kind = Pick(Kinds);
            var op = Pick(Comparisons);
            return random.Next(3) switch
            {
                0 => $"{TypedExpression(kind, 1)} {op} {TypedExpression(kind, 1)}",
                1 => $"{ColumnOf(kind)} {op} {LiteralOf(kind)}",
                _ => $"{ColumnOf(kind)} {(random.Next(2) == 0 ? "" : "NOT ")}BETWEEN {LiteralOf(kind)} AND {LiteralOf(kind)}",
            };
        }

        private static string ColumnOf(string kind) => kind switch { "date" => "d", "time" => "t", "ts" => "ts", "interval" => "iv", _ => "u" };

        private string LiteralOf(string kind) => kind switch
        {
            "date" => Pick(DateLiterals),
            "time" => Pick(TimeLiterals),
            "ts" => Pick(TimestampLiterals),
            "interval" => Pick(IntervalLiterals),
            _ => Pick(UuidLiterals),
        };

        private string OrderQuery()
        {
            var kind = Pick(Kinds);
            var expression = TypedExpression(kind, 1);
            var direction = Pick(new[] { "", " DESC", " NULLS FIRST", " DESC NULLS LAST" });
            return $"SELECT id, {expression} FROM dt ORDER BY {expression}{direction}, id";
        }

        private string Extract()
        {
            var (kind, fields) = random.Next(4) switch
            {
                0 => ("date", DateFields),
                1 => ("time", TimeFields),
                2 => ("ts", TimestampFields),
                _ => ("interval", IntervalFields),
            };
            var field = Pick(fields);
            var source = TypedExpression(kind, 1);
            return random.Next(2) == 0 ? $"extract({field} FROM {source})" : $"date_part('{field}', {source})";
        }

        private string Bitwise(int depth, bool literalsOnly = false)
        {
            string Operand() => depth > 0 && random.Next(3) == 0
                ? $"({Bitwise(depth - 1, literalsOnly)})"
                : !literalsOnly && random.Next(2) == 0
                    ? Pick(new[] { "n", "b", "s" })
                    : Pick(new[] { "0", "1", "3", "5", "-1", "255", "2147483647", "-2147483648", "4294967296", "7::smallint", "1::bigint", "12" });
            return random.Next(8) switch
            {
                0 => $"~{Operand()}",
                1 or 2 => $"{Operand()} {Pick(new[] { "<<", ">>" })} {Pick(new[] { "0", "1", "3", "8", "31", "32", "33", "63", "64", "-1" })}",
                _ => $"{Operand()} {Pick(new[] { "&", "|", "#" })} {Operand()}",
            };
        }
    }
}
