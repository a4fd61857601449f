using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Cohort.Core;
using Cohort.Protocol;
using Microsoft.Extensions.Logging;

namespace Cohort.Server;

/// <summary>
/// A TLS node's certificate (with the intermediates it sends) and whom it trusts as the other nodes: read once at
/// start from <see cref="NodeOptions.TlsCertificatePath"/>, <see cref="NodeOptions.TlsKeyPath"/> and
/// <see cref="NodeOptions.TlsCaPath"/>.
/// </summary>
public sealed class NodeTls
{
    private NodeTls(X509Certificate2 certificate, X509Certificate2Collection chain, TlsTrust trust)
    {
        Certificate = certificate;
        Chain = chain;
        Trust = trust;
    }

    /// <summary>The node's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The intermediates sent after it (the certificates after the first in the certificate file).</summary>
    public X509Certificate2Collection Chain { get; }

    /// <summary>Whom the node trusts when it calls other nodes.</summary>
    public TlsTrust Trust { get; }

    /// <summary>
    /// Reads the node's TLS settings; null when it serves plain http. Refuses, as <c>bad_operation</c> with one line
    /// naming the file, a file that cannot be read, a key that does not match the certificate, a certificate that has
    /// expired or is not yet valid, or one that does not name the node's host (its peers would refuse it).
    /// </summary>
    /// <param name="options">The node's options.</param>
    /// <param name="time">The clock the certificate's validity is checked against.</param>
    /// <param name="onRefused">Called with the host and the reason whenever the node refuses another node's certificate.</param>
    public static NodeTls? Load(NodeOptions options, TimeProvider time, Action<string, string>? onRefused = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        if (options.TlsCertificatePath is not { } certificatePath || options.TlsKeyPath is not { } keyPath)
        {
            return null;
        }

        X509Certificate2 certificate;
        var chain = new X509Certificate2Collection();
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);

            // Through PKCS#12 so that the key is usable by the TLS stack on every platform (a PEM key is ephemeral).
            certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            chain.ImportFromPemFile(certificatePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw Refused($"--tls-cert '{certificatePath}' with --tls-key '{keyPath}' cannot be used: {e.Message.TrimEnd('.')}");
        }

        // The first certificate of the file is the node's own; the rest are intermediates.
        var intermediates = new X509Certificate2Collection();
        foreach (var extra in chain.Skip(1))
        {
            intermediates.Add(extra);
        }

        var now = time.GetUtcNow().UtcDateTime;
        if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
        {
            throw Refused($"--tls-cert '{certificatePath}' ({certificate.Subject}) is valid from {certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u}, not now");
        }

        var host = NodeAddress.TryParse(options.Address, out var endpoint) ? endpoint.Host.Trim('[', ']') : options.Address;
        if (!certificate.MatchesHostname(host, allowWildcards: true, allowCommonName: false))
        {
            throw Refused($"--tls-cert '{certificatePath}' ({certificate.Subject}) does not name {host}, the host this node is known by (--addr): the other nodes would refuse it; put {host} in its subject alternative names");
        }

        TlsTrust trust;
        try
        {
            trust = options.TlsCaPath is { } caPath ? TlsTrust.FromPemFile(caPath, onRefused) : TlsTrust.MachineStore(onRefused);
        }
        catch (FormatException e)
        {
            throw Refused("--tls-ca: " + e.Message);
        }

        // The node presents its own certificate when it calls the others (they serve their peers' endpoints only to
        // nodes whose certificates chain to their CA).
        return new NodeTls(certificate, intermediates, trust.WithClientCertificate(certificate));
    }

    private static CohortException Refused(string message) => new(ErrorCodes.BadOperation, message, isTransient: false);
}

/// <summary>
/// Logs the certificates a node refuses (a peer with a certificate from another CA, expired, or not naming its host):
/// a warning per host when the reason changes, and again at most once a minute while it lasts (heartbeats would
/// otherwise log it every second).
/// </summary>
internal sealed class TlsRefusalLog(TimeProvider time)
{
    private static readonly TimeSpan Repeat = TimeSpan.FromMinutes(1);
    private readonly Dictionary<string, (string Reason, DateTimeOffset At)> _logged = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _sync = new();

    /// <summary>Where refusals go; none are logged before it is set (the node sets it once its logging exists).</summary>
    public ILogger? Logger { get; set; }

    public void Report(string host, string reason)
    {
        if (Logger is not { } logger)
        {
            return;
        }

        var now = time.GetUtcNow();
        lock (_sync)
        {
            if (_logged.TryGetValue(host, out var last) && last.Reason == reason && now - last.At < Repeat)
            {
                return;
            }

            _logged[host] = (reason, now);
        }

        Log.CertificateRefused(logger, host, reason);
    }
}
