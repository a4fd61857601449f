using Cohort.Server;

namespace Cohort.Tests.Server;

/// <summary>
/// A TLS node's settings are checked when it starts, each refusal one line naming the file and what is wrong: the
/// certificate must come with its own key, be valid now and name the host the node is known by.
/// </summary>
public sealed class NodeTlsTests : IDisposable
{
    private readonly TestPki _ca = new("Node CA");

    public void Dispose() => _ca.Dispose();

    [Fact]
    public void ValidCertificate_IsLoadedWithItsKey_AndTrustsTheCa()
    {
        var (certificate, key) = _ca.Issue("node", ["127.0.0.1"]);
        var tls = NodeTls.Load(Options("127.0.0.1:7001", certificate, key, _ca.CaPath), TimeProvider.System);
        Assert.NotNull(tls);
        Assert.True(tls.Certificate.HasPrivateKey);
        Assert.Equal("CN=node", tls.Certificate.Subject);
        Assert.Empty(tls.Chain);
        Assert.Equal(_ca.CaPath, tls.Trust.Source);
        Assert.Null(NodeTls.Load(Options("127.0.0.1:7001", null, null, null), TimeProvider.System));
    }

    [Fact]
    public void CertificateNotNamingTheNodesHost_IsRefused()
    {
        var (certificate, key) = _ca.Issue("other-host", ["127.0.0.2", "db.example"]);
        var error = Assert.Throws<CohortException>(() => NodeTls.Load(Options("127.0.0.1:7001", certificate, key, null), TimeProvider.System));
        Assert.Equal(ErrorCodes.BadOperation, error.Code);
        Assert.Contains("does not name 127.0.0.1", error.Message);
        Assert.Contains(certificate, error.Message);
    }

    [Fact]
    public void ExpiredCertificate_IsRefused()
    {
        var now = DateTimeOffset.UtcNow;
        var (certificate, key) = _ca.Issue("expired", ["127.0.0.1"], now.AddDays(-30), now.AddDays(-1));
        var error = Assert.Throws<CohortException>(() => NodeTls.Load(Options("127.0.0.1:7001", certificate, key, null), TimeProvider.System));
        Assert.Contains("not now", error.Message);
    }

    [Fact]
    public void KeyOfAnotherCertificate_IsRefused()
    {
        var (certificate, _) = _ca.Issue("one", ["127.0.0.1"]);
        var (_, otherKey) = _ca.Issue("two", ["127.0.0.1"]);
        var error = Assert.Throws<CohortException>(() => NodeTls.Load(Options("127.0.0.1:7001", certificate, otherKey, null), TimeProvider.System));
        Assert.Contains("cannot be used", error.Message);
        Assert.Contains(otherKey, error.Message);
    }

    [Fact]
    public void MissingFiles_AreRefusedNamingThem()
    {
        var missing = Path.Combine(_ca.Directory, "none.crt");
        var error = Assert.Throws<CohortException>(() => NodeTls.Load(Options("127.0.0.1:7001", missing, missing + ".key", null), TimeProvider.System));
        Assert.Contains(missing, error.Message);

        var (certificate, key) = _ca.Issue("node", ["127.0.0.1"]);
        var badCa = Assert.Throws<CohortException>(() => NodeTls.Load(Options("127.0.0.1:7001", certificate, key, key), TimeProvider.System));
        Assert.Contains("--tls-ca", badCa.Message);
        Assert.Contains("holds no PEM certificate", badCa.Message);
    }

    [Fact]
    public void Options_CertificateWithoutKey_OrCaWithoutCertificate_AreRefused()
    {
        Assert.Contains("go together", Assert.Throws<ArgumentException>(() => Options("127.0.0.1:7001", "a.crt", null, null).Validate()).Message);
        Assert.Contains("go together", Assert.Throws<ArgumentException>(() => Options("127.0.0.1:7001", null, "a.key", null).Validate()).Message);
        Assert.Contains("--tls-ca needs --tls-cert", Assert.Throws<ArgumentException>(() => Options("127.0.0.1:7001", null, null, "ca.pem").Validate()).Message);
    }

    private static NodeOptions Options(string address, string? certificate, string? key, string? ca) => new()
    {
        Address = address,
        IsMaster = true,
        DataDirectory = Path.GetTempPath(),
        TlsCertificatePath = certificate,
        TlsKeyPath = key,
        TlsCaPath = ca,
    };
}
