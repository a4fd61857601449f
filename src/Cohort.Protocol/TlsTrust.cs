using System.Collections.Concurrent;
using System.Net.Http;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Cohort.Protocol;

/// <summary>
/// Whom an https or wss connection to a node trusts: the certificate authorities of a PEM file (<c>--tls-ca</c>, a
/// private CA for the cluster), or the machine's trust store. The node's certificate must chain to one of them, be
/// valid now, allow server authentication, and name the host dialled (a DNS name or an IP address in its subject
/// alternative names). A refused certificate is remembered per host so that the failed request can say why
/// (<see cref="Explain"/>) instead of the framework's "rejected by the validation callback".
/// </summary>
/// <remarks>Shared by the nodes (peer calls, heartbeats, message sockets), the client library and the CLI.</remarks>
public sealed class TlsTrust
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1", "Server Authentication");

    // One trust per CA file, so that a handler made elsewhere (an IHttpClientFactory's) and the client that explains
    // its failures share what was refused.
    private static readonly ConcurrentDictionary<string, TlsTrust> ByFile = new(StringComparer.Ordinal);

    private readonly X509Certificate2Collection? _authorities;
    private readonly ConcurrentDictionary<string, string> _refusals = new(StringComparer.OrdinalIgnoreCase);

    private readonly Action<string, string>? _onRefused;

    private TlsTrust(X509Certificate2Collection? authorities, string? source, Action<string, string>? onRefused, X509Certificate2? clientCertificate = null)
    {
        _authorities = authorities;
        Source = source;
        _onRefused = onRefused;
        ClientCertificate = clientCertificate;
    }

    /// <summary>
    /// The certificate presented when this side is the client (a node calling another proves it is one of the
    /// cluster's), or null for none (the client library, the CLI).
    /// </summary>
    public X509Certificate2? ClientCertificate { get; }

    /// <summary>The same trust, presenting <paramref name="certificate"/> (with its private key) as the client.</summary>
    public TlsTrust WithClientCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return new TlsTrust(_authorities, Source, _onRefused, certificate);
    }

    /// <summary>Trusts what the machine's trust store trusts.</summary>
    public static TlsTrust System { get; } = new(null, null, null);

    /// <summary>The PEM file the authorities came from, or null for the machine's trust store.</summary>
    public string? Source { get; }

    /// <summary>The certificate authorities trusted instead of the machine's store, or null for the store.</summary>
    public X509Certificate2Collection? Authorities => _authorities;

    /// <summary>
    /// A trust of its own in the machine's trust store, calling <paramref name="onRefused"/> with the host and the reason
    /// whenever it refuses a certificate (a node logs them).
    /// </summary>
    public static TlsTrust MachineStore(Action<string, string>? onRefused) => new(null, null, onRefused);

    /// <summary>
    /// Trusts exactly the CA certificates of <paramref name="path"/> (PEM, one or more <c>CERTIFICATE</c> blocks), calling
    /// <paramref name="onRefused"/> with the host and the reason whenever it refuses a certificate.
    /// </summary>
    /// <exception cref="FormatException">The file is missing, unreadable, or holds no certificate; the message names it.</exception>
    public static TlsTrust FromPemFile(string path, Action<string, string>? onRefused)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new FormatException($"CA file '{path}' cannot be read: {e.Message}", e);
        }

        if (authorities.Count == 0)
        {
            throw new FormatException($"CA file '{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }

        return new TlsTrust(authorities, path, onRefused);
    }

    /// <summary>
    /// The trust of CA file <paramref name="path"/> (read on first use, then shared: see <see cref="FromPemFile"/>), or
    /// <see cref="System"/> when <paramref name="path"/> is null or empty.
    /// </summary>
    /// <exception cref="FormatException">The file cannot be read or holds no certificate.</exception>
    public static TlsTrust For(string? path) =>
        string.IsNullOrWhiteSpace(path) ? System : ByFile.GetOrAdd(Path.GetFullPath(path), static file => FromPemFile(file, null));

    /// <summary>Makes <paramref name="handler"/>'s https connections check certificates against this trust.</summary>
    public SocketsHttpHandler Apply(SocketsHttpHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        handler.SslOptions.RemoteCertificateValidationCallback = Validate;
        if (ClientCertificate is { } certificate)
        {
            // Whatever CAs the server names as acceptable (servers commonly name none).
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
        }

        return handler;
    }

    /// <summary>Makes a WebSocket's wss connection check the certificate against this trust.</summary>
    public void Apply(ClientWebSocketOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.RemoteCertificateValidationCallback = Validate;
        if (ClientCertificate is { } certificate)
        {
            options.ClientCertificates = [certificate];
        }
    }

    /// <summary>
    /// Why a request to <paramref name="target"/> failed, in one line, when the failure is TLS's: the certificate
    /// refused and why, or a TLS connection to a node that does not speak it; null when the failure is not TLS's.
    /// </summary>
    public string? Explain(Exception failure, Uri target)
    {
        ArgumentNullException.ThrowIfNull(failure);
        ArgumentNullException.ThrowIfNull(target);
        if (target.Scheme is not ("https" or "wss"))
        {
            return null;
        }

        var handshake = failure is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError };
        Exception? cause = null;
        for (var e = failure; e is not null; e = e.InnerException)
        {
            if (e is AuthenticationException)
            {
                handshake = true;
            }

            cause = e;
        }

        if (!handshake)
        {
            return null;
        }

        return _refusals.TryGetValue(target.DnsSafeHost, out var why)
            ? $"TLS: the certificate of {target.Authority} was refused: {why}"
            : $"TLS: no secure connection to {target.Authority} ({cause!.Message.TrimEnd('.')}; does it serve https, with --tls-cert?)";
    }

    /// <summary>The certificate check (a <see cref="RemoteCertificateValidationCallback"/>).</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var host = sender is SslStream { TargetHostName: { Length: > 0 } name } ? name : "?";
        var refusal = Check(certificate, chain, errors);
        if (refusal is null)
        {
            _refusals.TryRemove(host, out _);
            return true;
        }

        _refusals[host] = refusal;
        _onRefused?.Invoke(host, refusal);
        return false;
    }

    /// <summary>
    /// Checks the certificate a connecting node presents as its client certificate: it must chain to the trusted CAs
    /// (or the machine's store) and be valid now; no host name or key usage is required of it. Refusals are reported
    /// like a server's.
    /// </summary>
    /// <returns>Null when accepted, else why not.</returns>
    public string? CheckClient(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (_authorities is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        }

        if (chain.Build(certificate))
        {
            return null;
        }

        var refusal = $"its client certificate {Refusal(certificate, chain)}";
        _onRefused?.Invoke("a connecting node", refusal);
        return refusal;
    }

    private string? Check(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return "it sent no certificate";
        }

        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return $"its certificate ({leaf.Subject}; {Names(leaf)}) does not name the host dialled";
        }

        if (_authorities is null)
        {
            // The machine's store: the framework's own chain check.
            return errors == SslPolicyErrors.None ? null : $"its certificate ({leaf.Subject}, issued by {leaf.Issuer}) is not trusted by this machine ({Statuses(chain)}); give the cluster's CA with --tls-ca";
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        custom.ChainPolicy.ApplicationPolicy.Add(ServerAuthentication);
        if (chain is not null)
        {
            // Intermediates the node sent with its certificate.
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (custom.Build(leaf))
        {
            return null;
        }

        return $"its certificate {Refusal(leaf, custom)}";
    }

    // "(subject, issued by issuer) <what is wrong> (chain statuses)" for a chain that did not build.
    private string Refusal(X509Certificate2 certificate, X509Chain chain)
    {
        var statuses = chain.ChainStatus.Select(s => s.Status).ToHashSet();
        var what = statuses.Contains(X509ChainStatusFlags.NotTimeValid)
            ? $"is not valid now (valid from {certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u})"
            : statuses.Contains(X509ChainStatusFlags.NotValidForUsage)
                ? "is not for server authentication (its extended key usage)"
                : $"does not chain to a CA of {Source ?? "this machine's trust store"}";
        return $"({certificate.Subject}, issued by {certificate.Issuer}) {what} ({Statuses(chain)})";
    }

    private static string Statuses(X509Chain? chain) =>
        chain is null || chain.ChainStatus.Length == 0
            ? "no chain"
            : string.Join(", ", chain.ChainStatus.Select(s => s.Status).Distinct());

    private static string Names(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension names)
            {
                var all = names.EnumerateDnsNames().Concat(names.EnumerateIPAddresses().Select(a => a.ToString())).ToList();
                return all.Count == 0 ? "no alternative names" : "names " + string.Join(", ", all);
            }
        }

        return "no alternative names";
    }
}
