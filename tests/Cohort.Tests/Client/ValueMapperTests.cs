using Cohort.Client;

namespace Cohort.Tests.Client;

/// <summary>Rows and values mapped to user types (<see cref="ValueMapper"/>, <see cref="SqlRow.As{T}"/>).</summary>
public sealed class ValueMapperTests
{
    private static readonly SqlResult Users = SqlResult.FromValue(ValueJson.Parse("""
        {"columns":["user_id","name","balance","active","joined","note"],
         "rows":[[1,"Alice",12.50,true,"2026-12-01T10:00:00Z",null],[2,"Bob",0,false,"2026-12-02T11:30:00Z","vip"]],
         "affected":2}
        """));

    public sealed record UserRecord(long UserId, string Name, decimal Balance, bool Active);

    public sealed class UserClass
    {
        public int UserId { get; set; }

        public string Name { get; set; } = string.Empty;

        public DateTimeOffset Joined { get; set; }

        public string? Note { get; set; }

        public double? Balance { get; set; }
    }

    [Fact]
    public void Records_MapThroughTheirConstructor_ByColumnName_UnderscoresIgnored()
    {
        var users = Users.As<UserRecord>();

        Assert.Equal([new UserRecord(1, "Alice", 12.50m, true), new UserRecord(2, "Bob", 0m, false)], users);
    }

    [Fact]
    public void Classes_MapThroughTheirSettableProperties_NullsIncluded_ExtraColumnsIgnored()
    {
        var alice = Users.Rows[0].As<UserClass>();
        var bob = Users.Rows[1].As<UserClass>();

        Assert.Equal((1, "Alice", new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero), null, 12.5), (alice.UserId, alice.Name, alice.Joined, alice.Note, alice.Balance));
        Assert.Equal("vip", bob.Note);
    }

    [Fact]
    public void AOneColumnRow_MapsToAScalar()
    {
        var counts = SqlResult.FromValue(ValueJson.Parse("""{"columns":["count"],"rows":[[3]]}"""));

        Assert.Equal([3], counts.As<int>());
        Assert.Equal(3L, ValueMapper.To<long?>(Value.From(3L)));
        Assert.Null(ValueMapper.To<long?>(Value.Null));
    }

    [Fact]
    public void ValuesThatDoNotFit_AreFormatExceptionsNamingTheColumn()
    {
        var nullName = SqlResult.FromValue(ValueJson.Parse("""{"columns":["user_id","name","balance","active"],"rows":[[null,"x",1,true]]}"""));
        var overflow = SqlResult.FromValue(ValueJson.Parse("""{"columns":["user_id"],"rows":[[99999999999]]}"""));
        var missing = SqlResult.FromValue(ValueJson.Parse("""{"columns":["name"],"rows":[["x"]]}"""));

        Assert.Contains("'UserId' is NULL", Assert.Throws<FormatException>(() => nullName.As<UserRecord>()).Message, StringComparison.Ordinal);
        Assert.Contains("Int32", Assert.Throws<FormatException>(() => overflow.Rows[0].As<UserClass>()).Message, StringComparison.Ordinal);
        Assert.Contains("needs 'UserId'", Assert.Throws<FormatException>(() => missing.As<UserRecord>()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMapValue_MapsToARecord()
    {
        var profile = ValueJson.Parse("""{"user_id":5,"name":"Eve","balance":"7.25","active":true}""");

        Assert.Equal(new UserRecord(5, "Eve", 7.25m, true), ValueMapper.To<UserRecord>(profile));
    }
}
