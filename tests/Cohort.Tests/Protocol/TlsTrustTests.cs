using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Cohort.Protocol;

namespace Cohort.Tests.Protocol;

/// <summary>
/// <see cref="TlsTrust"/> in a real TLS handshake over 127.0.0.1: a certificate of the configured CA that names the
/// host is accepted; one of another CA, one for another host, an expired one and one not for servers are refused, and
/// the failure explains why in one line.
/// </summary>
public sealed class TlsTrustTests : IDisposable
{
    private readonly TestPki _ca = new("Cluster CA");
    private readonly TestPki _other;

    public TlsTrustTests() => _other = new TestPki("Other CA", _ca.Directory);

    public void Dispose()
    {
        _other.Dispose();
        _ca.Dispose();
    }

    [Fact]
    public async Task CertificateOfTheCa_NamingTheHost_IsAccepted()
    {
        var trust = TlsTrust.FromPemFile(_ca.CaPath, null);
        Assert.Null(await HandshakeAsync(trust, _ca.Issue("node", ["127.0.0.1", "localhost"]), "127.0.0.1"));
        Assert.Null(await HandshakeAsync(trust, _ca.Issue("node-dns", ["localhost"]), "localhost"));
    }

    [Fact]
    public async Task CertificateOfAnotherCa_IsRefused_Saying_ItDoesNotChain()
    {
        var refused = new List<(string Host, string Reason)>();
        var trust = TlsTrust.FromPemFile(_ca.CaPath, (host, reason) => refused.Add((host, reason)));
        var why = await HandshakeAsync(trust, _other.Issue("impostor", ["127.0.0.1"]), "127.0.0.1");
        Assert.NotNull(why);
        Assert.Contains("TLS: the certificate of 127.0.0.1:", why);
        Assert.Contains("CN=impostor, issued by CN=Other CA", why);
        Assert.Contains("does not chain to a CA of " + _ca.CaPath, why);
        var (host, reason) = Assert.Single(refused);
        Assert.Equal("127.0.0.1", host);
        Assert.Contains("does not chain", reason);
    }

    [Fact]
    public async Task CertificateForAnotherHost_IsRefused_NamingWhatItNames()
    {
        var trust = TlsTrust.FromPemFile(_ca.CaPath, null);
        var why = await HandshakeAsync(trust, _ca.Issue("elsewhere", ["10.1.2.3", "db.example"]), "127.0.0.1");
        Assert.NotNull(why);
        Assert.Contains("does not name the host dialled", why);
        Assert.Contains("db.example", why);
        Assert.Contains("10.1.2.3", why);
    }

    [Fact]
    public async Task ExpiredCertificate_IsRefused()
    {
        var trust = TlsTrust.FromPemFile(_ca.CaPath, null);
        var now = DateTimeOffset.UtcNow;
        var why = await HandshakeAsync(trust, _ca.Issue("expired", ["127.0.0.1"], now.AddDays(-10), now.AddDays(-1)), "127.0.0.1");
        Assert.NotNull(why);
        Assert.Contains("is not valid now", why);
        Assert.Contains("NotTimeValid", why);
    }

    [Fact]
    public async Task ClientOnlyCertificate_IsRefused()
    {
        var trust = TlsTrust.FromPemFile(_ca.CaPath, null);
        var why = await HandshakeAsync(trust, _ca.Issue("client-only", ["127.0.0.1"], serverAuthentication: false), "127.0.0.1");
        Assert.NotNull(why);
        Assert.Contains("is not for server authentication", why);
    }

    [Fact]
    public async Task MachineStore_RefusesAPrivateCa_AndSaysToGiveTheCa()
    {
        var why = await HandshakeAsync(TlsTrust.MachineStore(null), _ca.Issue("private", ["127.0.0.1"]), "127.0.0.1");
        Assert.NotNull(why);
        Assert.Contains("not trusted by this machine", why);
        Assert.Contains("--tls-ca", why);
    }

    [Fact]
    public void CaFile_ThatIsMissingOrHoldsNoCertificate_IsRefusedNamingIt()
    {
        var missing = Path.Combine(_ca.Directory, "missing.pem");
        Assert.Contains(missing, Assert.Throws<FormatException>(() => TlsTrust.FromPemFile(missing, null)).Message);
        var empty = Path.Combine(_ca.Directory, "empty.pem");
        File.WriteAllText(empty, "not a certificate\n");
        Assert.Contains("holds no PEM certificate", Assert.Throws<FormatException>(() => TlsTrust.FromPemFile(empty, null)).Message);
        Assert.Same(TlsTrust.System, TlsTrust.For(null));
        Assert.Same(TlsTrust.For(_ca.CaPath), TlsTrust.For(_ca.CaPath));
    }

    [Fact]
    public void Explain_IsNullForFailuresThatAreNotTls()
    {
        var trust = TlsTrust.FromPemFile(_ca.CaPath, null);
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused", new SocketException((int)SocketError.ConnectionRefused));
        Assert.Null(trust.Explain(refused, new Uri("https://127.0.0.1:1/")));
        Assert.Null(trust.Explain(new HttpRequestException(HttpRequestError.SecureConnectionError, "x", new AuthenticationException("y")), new Uri("http://127.0.0.1:1/")));
    }

    // Serves one TLS connection with the certificate on 127.0.0.1 and connects to it as host; returns the client's
    // explanation of the failure, or null when the handshake succeeded.
    private static async Task<string?> HandshakeAsync(TlsTrust trust, (string Certificate, string Key) files, string host)
    {
        using var pem = X509Certificate2.CreateFromPemFile(files.Certificate, files.Key);
        using var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var serving = Task.Run(async () =>
            {
                using var accepted = await listener.AcceptTcpClientAsync();
                await using var server = new SslStream(accepted.GetStream());
                try
                {
                    await server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }).WaitAsync(TimeSpan.FromSeconds(10));
                }
                catch (Exception e) when (e is AuthenticationException or IOException or TimeoutException)
                {
                    // The client refused the certificate.
                }
            });

            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            await using var client = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, trust.Validate);
            string? why = null;
            try
            {
                await client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host }).WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (AuthenticationException e)
            {
                why = trust.Explain(new HttpRequestException(HttpRequestError.SecureConnectionError, "handshake", e), new Uri($"https://{host}:{port}/"));
                Assert.NotNull(why);
            }

            tcp.Close();
            await serving.WaitAsync(TimeSpan.FromSeconds(10));
            return why;
        }
        finally
        {
            listener.Stop();
        }
    }
}
