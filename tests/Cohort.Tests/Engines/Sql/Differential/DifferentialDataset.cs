using System.Collections.Immutable;
using System.Globalization;

namespace Cohort.Tests.Engines.Sql.Differential;

/// <summary>
/// The data both databases hold: users, orders, items and categories, generated from a fixed seed with
/// NULLs in most nullable columns, duplicate names, cities, SKUs and prices, orders of unknown users
/// and items of unknown orders (so outer joins and NOT IN have something to find).
/// </summary>
internal static class DifferentialDataset
{
    public const int Seed = 20260521;

    private static readonly string[] Names =
    [
        "ann", "bob", "carol", "dave", "eve", "frank", "grace", "heidi", "ivan", "judy", "Ann", "Bob", "o'brien", "zoe", "al",
    ];

    private static readonly string[] Cities = ["oslo", "paris", "lima", "rome", "Oslo", "new york"];
    private static readonly string[] Domains = ["example.com", "mail.org", "x_y.net"];
    private static readonly string[] Statuses = ["new", "paid", "shipped", "cancelled"];
    private static readonly string[] Notes = ["gift", "rush", "50% off", "call_first", "", "GIFT"];

    public static ImmutableArray<DatasetTable> Tables { get; } = Build();

    public static DatasetTable Table(string name) => Tables.Single(t => t.Name == name);

    private static ImmutableArray<DatasetTable> Build()
    {
        var random = new Random(Seed);
        return [Users(random), Orders(random), Items(random), Categories()];
    }

    private static DatasetTable Users(Random random)
    {
        var rows = ImmutableArray.CreateBuilder<ImmutableArray<string>>();
        for (var id = 1; id <= 40; id++)
        {
            var name = Names[random.Next(Names.Length)];
            rows.Add(
            [
                Int(id),
                Text(name),
                Maybe(random, 0.2, () => Text($"{name.Replace("'", "", StringComparison.Ordinal)}{id}@{Domains[random.Next(Domains.Length)]}")),
                Maybe(random, 0.15, () => Int(random.Next(16, 71))),
                Maybe(random, 0.15, () => Text(Cities[random.Next(Cities.Length)])),
                random.Next(3) == 0 ? "FALSE" : "TRUE",
                Maybe(random, 0.2, () => Double(random.Next(0, 801) / 8.0)),
                Maybe(random, 0.1, () => Timestamp(new DateTime(2023, 1, 1).AddDays(random.Next(0, 500)).AddHours(random.Next(0, 24)).AddMinutes(random.Next(0, 4) * 15))),
            ]);
        }

        return new DatasetTable(
            "users",
            [
                new("id", ColumnType.Integer, false), new("name", ColumnType.Text, false), new("email", ColumnType.Text, true),
                new("age", ColumnType.Integer, true), new("city", ColumnType.Text, true), new("active", ColumnType.Boolean, false),
                new("score", ColumnType.Double, true), new("joined", ColumnType.Timestamp, true),
            ],
            [["city"], ["age"]],
            rows.ToImmutable());
    }

    private static DatasetTable Orders(Random random)
    {
        var rows = ImmutableArray.CreateBuilder<ImmutableArray<string>>();
        for (var id = 1; id <= 150; id++)
        {
            rows.Add(
            [
                Int(id),
                // Users 41–45 do not exist: orders of unknown users.
                Maybe(random, 0.08, () => Int(random.Next(1, 46))),
                Text(Statuses[random.Next(Statuses.Length)]),
                Maybe(random, 0.1, () => Money(random.Next(0, 8) == 0 ? random.Next(1, 20) * 500 : random.Next(100, 50000))),
                Int(random.Next(1, 11)),
                Timestamp(new DateTime(2024, 1, 1).AddDays(random.Next(0, 200)).AddMinutes(random.Next(0, 96) * 15)),
                Maybe(random, 0.6, () => Text(Notes[random.Next(Notes.Length)])),
            ]);
        }

        return new DatasetTable(
            "orders",
            [
                new("id", ColumnType.Integer, false), new("user_id", ColumnType.Integer, true), new("status", ColumnType.Text, false),
                new("total", ColumnType.Decimal, true), new("quantity", ColumnType.Integer, false), new("placed", ColumnType.Timestamp, false),
                new("note", ColumnType.Text, true),
            ],
            [["user_id"], ["status", "placed"]],
            rows.ToImmutable());
    }

    private static DatasetTable Items(Random random)
    {
        var rows = ImmutableArray.CreateBuilder<ImmutableArray<string>>();
        for (var id = 1; id <= 300; id++)
        {
            rows.Add(
            [
                Int(id),
                // Orders 151–160 do not exist.
                Int(random.Next(1, 161)),
                Text($"SKU-{random.Next(1, 31):D3}"),
                Money(random.Next(0, 5) == 0 ? random.Next(1, 10) * 100 : random.Next(50, 20000)),
                Maybe(random, 0.1, () => Int(random.Next(-2, 13))),
                Maybe(random, 0.3, () => Double(random.Next(0, 9) / 8.0)),
            ]);
        }

        return new DatasetTable(
            "items",
            [
                new("id", ColumnType.Integer, false), new("order_id", ColumnType.Integer, false), new("sku", ColumnType.Text, false),
                new("price", ColumnType.Decimal, false), new("qty", ColumnType.Integer, true), new("discount", ColumnType.Double, true),
            ],
            [["order_id"], ["sku"]],
            rows.ToImmutable());
    }

    private static DatasetTable Categories() => new(
        "categories",
        [new("code", ColumnType.Text, false), new("label", ColumnType.Text, true), new("parent", ColumnType.Text, true), new("rank", ColumnType.Integer, true)],
        [["parent"]],
        [
            ["'root'", "'Everything'", "NULL", "0"],
            ["'books'", "'Books'", "'root'", "1"],
            ["'music'", "'Music'", "'root'", "2"],
            ["'scifi'", "'Science fiction'", "'books'", "1"],
            ["'poetry'", "'Poetry'", "'books'", "NULL"],
            ["'jazz'", "'Jazz'", "'music'", "1"],
            ["'rock'", "NULL", "'music'", "2"],
            ["'misc'", "'Misc'", "NULL", "NULL"],
            ["'Zeta'", "'zeta'", "'misc'", "3"],
            ["'a_b'", "'A%B'", "'misc'", "-1"],
        ]);

    private static string Maybe(Random random, double nullChance, Func<string> value) =>
        random.NextDouble() < nullChance ? "NULL" : value();

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Text(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static string Money(int cents) => (cents / 100m).ToString("0.00", CultureInfo.InvariantCulture);

    private static string Double(double value) => value.ToString("0.0##", CultureInfo.InvariantCulture);

    private static string Timestamp(DateTime value) => "'" + value.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "'";
}
