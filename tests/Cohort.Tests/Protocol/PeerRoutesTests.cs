using Cohort.Protocol;

namespace Cohort.Tests.Protocol;

public sealed class PeerRoutesTests
{
    [Fact]
    public void ARoutedNode_IsDialledAtItsRoute_OthersAtTheirName()
    {
        var routes = PeerRoutes.Parse(" 10.0.0.5:7001=127.0.0.1:17001 , node-b.internal:7002=127.0.0.1:17002");
        Assert.Equal("127.0.0.1:17001", routes.Dial("10.0.0.5:7001"));
        Assert.Equal("127.0.0.1:17002", routes.Dial("node-b.internal:7002"));
        Assert.Equal("10.0.0.6:7001", routes.Dial("10.0.0.6:7001"));
        Assert.Equal(new Uri("http://127.0.0.1:17001/"), routes.BaseUri("10.0.0.5:7001"));
        Assert.Equal(2, routes.Routes.Count);
        Assert.Equal("10.0.0.5:7001=127.0.0.1:17001,node-b.internal:7002=127.0.0.1:17002", routes.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void NoText_IsNoRoutes(string? text) => Assert.Same(PeerRoutes.None, PeerRoutes.Parse(text));

    [Theory]
    [InlineData("127.0.0.1:7001", "127.0.0.1:7001")]
    [InlineData("127.0.0.1:7001=", "127.0.0.1:7001=")]
    [InlineData("=127.0.0.1:7001", "=127.0.0.1:7001")]
    [InlineData("127.0.0.1=127.0.0.1:7001", "127.0.0.1=127.0.0.1:7001")]
    [InlineData("127.0.0.1:7001=127.0.0.1:99999", "127.0.0.1:7001=127.0.0.1:99999")]
    [InlineData("a:1=b:2,a:1=c:3", "a:1 is given twice")]
    public void ABadEntry_IsRefused_NamingIt(string text, string named)
    {
        var e = Assert.Throws<FormatException>(() => PeerRoutes.Parse(text));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }
}
