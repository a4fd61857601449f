using Cohort.Postgres;
using Npgsql;

namespace Cohort.Tests.Postgres;

public sealed class PostgresDsnTests
{
    [Fact]
    public void SeedUri_BecomesTheEquivalentConnectionString()
    {
        var parsed = Parse("postgres://user:pass@localhost:5432/2pc?sslmode=disable");
        Assert.Equal("localhost", parsed.Host);
        Assert.Equal(5432, parsed.Port);
        Assert.Equal("user", parsed.Username);
        Assert.Equal("pass", parsed.Password);
        Assert.Equal("2pc", parsed.Database);
        Assert.Equal(SslMode.Disable, parsed.SslMode);
    }

    [Fact]
    public void PostgresqlScheme_PercentEncodedUserPasswordAndDatabase_AreDecoded()
    {
        var parsed = Parse("postgresql://app%40corp:p%40ss%3Aw%2Frd%25%23+x@db.example.com/my%20db");
        Assert.Equal("app@corp", parsed.Username);
        Assert.Equal("p@ss:w/rd%#+x", parsed.Password);
        Assert.Equal("db.example.com", parsed.Host);
        Assert.Equal("my db", parsed.Database);
    }

    [Fact]
    public void PasswordWithSemicolonAndQuotes_SurvivesTheConnectionString()
    {
        var parsed = Parse("postgres://u:a%3Bb%3DC%27%22@h/d");
        Assert.Equal("a;b=C'\"", parsed.Password);
        Assert.Equal("d", parsed.Database);
    }

    [Theory]
    [InlineData("postgres://u@[::1]:6543/d", "::1", 6543)]
    [InlineData("postgres://[::1]/d", "::1", 5432)]
    [InlineData("postgres://[2001:db8::7]:5433", "2001:db8::7", 5433)]
    [InlineData("POSTGRES://10.0.0.1:5999/d", "10.0.0.1", 5999)]
    [InlineData("postgres:///d?host=%2Fvar%2Frun%2Fpostgresql&port=5434", "/var/run/postgresql", 5434)]
    [InlineData("postgres://%2Ftmp%2Fsock/d", "/tmp/sock", 5432)]
    public void Hosts_IPv6InBracketsAndSocketDirectories_AreRead(string uri, string host, int port)
    {
        var parsed = Parse(uri);
        Assert.Equal(host, parsed.Host);
        Assert.Equal(port, parsed.Port);
    }

    [Fact]
    public void SeveralHosts_BecomeNpgsqlHostPortPairs()
    {
        var parsed = Parse("postgres://u@a:5432,[::1]:5433,b/d?target_session_attrs=read-write");
        Assert.Equal("a:5432,[::1]:5433,b", parsed.Host);
        Assert.Equal("read-write", parsed.TargetSessionAttributes);
    }

    [Fact]
    public void QueryParameters_MapOntoNpgsqlKeywords()
    {
        var parsed = Parse("postgres://u@h/d?sslmode=verify-full&connect_timeout=7&application_name=my%20app&options=-c%20search_path%3Dshop"
            + "&keepalives=1&keepalives_idle=30&keepalives_interval=5&client_encoding=UTF8&sslrootcert=%2Fetc%2Fca.pem&user=other&dbname=other_db");
        Assert.Equal(SslMode.VerifyFull, parsed.SslMode);
        Assert.Equal(7, parsed.Timeout);
        Assert.Equal("my app", parsed.ApplicationName);
        Assert.Equal("-c search_path=shop", parsed.Options);
        Assert.True(parsed.TcpKeepAlive);
        Assert.Equal(30, parsed.TcpKeepAliveTime);
        Assert.Equal(5, parsed.TcpKeepAliveInterval);
        Assert.Equal("UTF8", parsed.ClientEncoding);
        Assert.Equal("/etc/ca.pem", parsed.RootCertificate);
        Assert.Equal("other", parsed.Username);
        Assert.Equal("other_db", parsed.Database);
    }

    [Theory]
    [InlineData("disable", SslMode.Disable)]
    [InlineData("allow", SslMode.Allow)]
    [InlineData("prefer", SslMode.Prefer)]
    [InlineData("require", SslMode.Require)]
    [InlineData("verify-ca", SslMode.VerifyCA)]
    [InlineData("verify-full", SslMode.VerifyFull)]
    public void EverySslMode_IsMapped(string value, SslMode expected) =>
        Assert.Equal(expected, Parse($"postgres://h/d?sslmode={value}").SslMode);

    [Fact]
    public void KeywordConnectionString_IsReturnedAsGiven()
    {
        const string Dsn = "Host=127.0.0.1;Port=5432;Username=app;Database=shop;Max Auto Prepare=0";
        Assert.Equal(Dsn, PostgresDsn.ToConnectionString(Dsn));
        Assert.False(PostgresDsn.IsUri(Dsn));
        Assert.True(PostgresDsn.IsUri("  PostgreSQL://h"));
        Assert.Equal("Host=h;Password=a://b", PostgresDsn.ToConnectionString("Host=h;Password=a://b"));
    }

    [Theory]
    [InlineData("postgres://u@h/d?sslmod=disable", "'sslmod' is not supported")]
    [InlineData("postgres://u@h/d?sslmode=sometimes", "sslmode 'sometimes' is not valid")]
    [InlineData("postgres://u@h:port/d", "port 'port' is not a number")]
    [InlineData("postgres://u@h:70000/d", "port '70000'")]
    [InlineData("postgres://u@h/d?connect_timeout=soon", "connect_timeout 'soon' is not valid")]
    [InlineData("postgres://u@h/d?sslmode", "has no value")]
    [InlineData("postgres://u:50%@h/d", "'%' that is not followed by two hex digits")]
    [InlineData("postgres://u:pa#ss@h/d", "fragment")]
    [InlineData("postgres://u@[::1/d", "without closing it")]
    [InlineData("postgres:///d", "names no host")]
    [InlineData("mysql://u@h/d", "scheme 'mysql'")]
    [InlineData("Host=h;Bogus Keyword=1", "neither a postgres:// URI nor a valid connection string")]
    [InlineData("   ", "empty")]
    public void InvalidDsn_IsRefusedAsBadOperation_WithTheReason(string dsn, string reason)
    {
        var error = Assert.Throws<CohortException>(() => PostgresDsn.ToConnectionString(dsn));
        Assert.Equal(ErrorCodes.BadOperation, error.Code);
        Assert.StartsWith("Invalid PostgreSQL DSN: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void InvalidPasswordParameter_IsNotEchoed()
    {
        var error = Assert.Throws<CohortException>(() => PostgresDsn.ToConnectionString("postgres://u@h/d?password=s3cret&bogus=1"));
        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }

    private static NpgsqlConnectionStringBuilder Parse(string uri) => new(PostgresDsn.ToConnectionString(uri));
}
