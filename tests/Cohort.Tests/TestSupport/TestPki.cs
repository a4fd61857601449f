using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Cohort.Tests.TestSupport;

/// <summary>
/// A throwaway certificate authority in a temporary directory, for the TLS tests: its certificate as <c>ca.pem</c>, and
/// node certificates it issues (or that another CA issues) as PEM certificate and key files. ECDSA P-256, no
/// revocation. Shared by the unit tests and the integration tests (linked into both). Dispose deletes the files.
/// </summary>
internal sealed class TestPki : IDisposable
{
    private readonly ECDsa _key;

    public TestPki(string name = "Cohort Test CA", string? directory = null)
    {
        Directory = directory ?? Path.Combine(Path.GetTempPath(), "cohort-pki-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = DateTimeOffset.UtcNow;
        Certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        CaPath = Path.Combine(Directory, $"{FileName(name)}.pem");
        File.WriteAllText(CaPath, Certificate.ExportCertificatePem());
    }

    /// <summary>Where the files are.</summary>
    public string Directory { get; }

    /// <summary>The CA's certificate.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The CA's certificate as a PEM file (what <c>--tls-ca</c> takes).</summary>
    public string CaPath { get; }

    /// <summary>
    /// Issues a server certificate for <paramref name="hosts"/> (IP addresses and DNS names, as subject alternative
    /// names) valid from <paramref name="notBefore"/> to <paramref name="notAfter"/> (default: yesterday to next year),
    /// and writes <c>name.crt</c> and <c>name.key</c>.
    /// </summary>
    public (string Certificate, string Key) Issue(string name, IEnumerable<string> hosts, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, bool serverAuthentication = true)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var host in hosts)
        {
            if (IPAddress.TryParse(host, out var ip))
            {
                names.AddIpAddress(ip);
            }
            else
            {
                names.AddDnsName(host);
            }
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [serverAuthentication ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")],
            critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(12);
        using var issued = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), notBefore ?? now.AddDays(-1), notAfter ?? now.AddYears(1), serial);
        var certificatePath = Path.Combine(Directory, $"{FileName(name)}.crt");
        var keyPath = Path.Combine(Directory, $"{FileName(name)}.key");
        File.WriteAllText(certificatePath, issued.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }

    public void Dispose()
    {
        _key.Dispose();
        Certificate.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Another CA shares the directory and deleted it first.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string FileName(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-'));
}
