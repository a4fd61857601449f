using System.Globalization;
using System.Text;
using Cohort.Core;
using Npgsql;

namespace Cohort.Postgres;

/// <summary>
/// PostgreSQL DSNs as people write them: an Npgsql connection string (<c>Host=db;Port=5432;Username=app;Database=shop</c>)
/// or a libpq connection URI (<c>postgres://app:secret@db:5432/shop?sslmode=require</c>, also <c>postgresql://</c>).
/// </summary>
public static class PostgresDsn
{
    // libpq's URI query parameters that Npgsql has an equivalent for, and that equivalent.
    private static readonly Dictionary<string, string> Keywords = new(StringComparer.Ordinal)
    {
        ["host"] = "Host",
        ["hostaddr"] = "Host",
        ["port"] = "Port",
        ["dbname"] = "Database",
        ["user"] = "Username",
        ["password"] = "Password",
        ["passfile"] = "Passfile",
        ["sslmode"] = "SSL Mode",
        ["sslcert"] = "SSL Certificate",
        ["sslkey"] = "SSL Key",
        ["sslpassword"] = "SSL Password",
        ["sslrootcert"] = "Root Certificate",
        ["sslnegotiation"] = "SSL Negotiation",
        ["channel_binding"] = "Channel Binding",
        ["gssencmode"] = "GSS Encryption Mode",
        ["krbsrvname"] = "Kerberos Service Name",
        ["connect_timeout"] = "Timeout",
        ["application_name"] = "Application Name",
        ["fallback_application_name"] = "Application Name",
        ["options"] = "Options",
        ["client_encoding"] = "Client Encoding",
        ["keepalives"] = "Tcp Keepalive",
        ["keepalives_idle"] = "Tcp Keepalive Time",
        ["keepalives_interval"] = "Tcp Keepalive Interval",
        ["target_session_attrs"] = "Target Session Attributes",
        ["load_balance_hosts"] = "Load Balance Hosts",
    };

    /// <summary>Whether <paramref name="dsn"/> is written as a URI (<c>postgres://</c> or <c>postgresql://</c>).</summary>
    public static bool IsUri(string dsn)
    {
        ArgumentNullException.ThrowIfNull(dsn);
        var text = dsn.AsSpan().TrimStart();
        return text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The Npgsql connection string of <paramref name="dsn"/>: a URI is translated (user and password percent-decoded,
    /// <c>[::1]</c> hosts, several <c>host:port</c> pairs, libpq query parameters mapped onto Npgsql's keywords); a
    /// connection string is checked and returned as given.
    /// </summary>
    /// <exception cref="CohortException"><c>bad_operation</c> naming what is wrong (never the password).</exception>
    public static string ToConnectionString(string dsn)
    {
        if (string.IsNullOrWhiteSpace(dsn))
        {
            throw Bad("the DSN is empty");
        }

        if (!IsUri(dsn))
        {
            var scheme = dsn.IndexOf("://", StringComparison.Ordinal) is var end and > 0 ? dsn[..end].Trim() : string.Empty;
            if (scheme.Length > 0 && char.IsAsciiLetter(scheme[0]) && scheme.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
            {
                // Some other URI (mysql://…); a connection string may hold "://" in a value (Password=a://b), and is not one.
                throw Bad($"the DSN's scheme '{scheme}' is not postgres:// or postgresql://");
            }

            try
            {
                _ = new NpgsqlConnectionStringBuilder(dsn);
                return dsn;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
            {
                throw Bad($"the DSN is neither a postgres:// URI nor a valid connection string (Key=Value;…): {e.Message}");
            }
        }

        return FromUri(dsn.Trim());
    }

    private static string FromUri(string uri)
    {
        // postgres[ql]://[user[:password]@][host[:port][,host[:port]…]][/database][?name=value[&…]]
        var rest = uri[(uri.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var hash = rest.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            throw Bad("the DSN URI has a fragment ('#…'); a '#' in a password must be written %23");
        }

        string? query = null;
        var question = rest.IndexOf('?', StringComparison.Ordinal);
        if (question >= 0)
        {
            query = rest[(question + 1)..];
            rest = rest[..question];
        }

        string? database = null;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            database = rest[(slash + 1)..];
            rest = rest[..slash];
        }

        var builder = new NpgsqlConnectionStringBuilder();
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = rest[..at];
            rest = rest[(at + 1)..];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            var user = Decode(colon >= 0 ? userInfo[..colon] : userInfo, "user name");
            if (user.Length > 0)
            {
                builder.Username = user;
            }

            if (colon >= 0)
            {
                builder.Password = Decode(userInfo[(colon + 1)..], "password");
            }
        }

        if (rest.Length > 0)
        {
            var hosts = rest.Split(',').Select(Host).ToList();
            if (hosts.Count == 1)
            {
                builder.Host = hosts[0].Host;
                if (hosts[0].Port is { } port)
                {
                    builder.Port = port;
                }
            }
            else
            {
                // Several hosts (libpq tries them in turn, as Npgsql does): Npgsql reads host:port pairs in Host, an IPv6
                // address in brackets.
                builder.Host = string.Join(',', hosts.Select(h =>
                    (h.Host.Contains(':', StringComparison.Ordinal) ? $"[{h.Host}]" : h.Host) + (h.Port is { } p ? ":" + p.ToString(CultureInfo.InvariantCulture) : string.Empty)));
            }
        }

        if (database is { Length: > 0 })
        {
            builder.Database = Decode(database, "database name");
        }

        if (query is { Length: > 0 })
        {
            foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw Bad($"the DSN URI's query parameter '{Decode(pair, "query parameter")}' has no value (expected name=value)");
                }

                var name = Decode(pair[..equals], "query parameter name");
                var value = Decode(pair[(equals + 1)..], $"value of '{name}'");
                Set(builder, name, value);
            }
        }

        if (string.IsNullOrEmpty(builder.Host))
        {
            throw Bad("the DSN URI names no host (postgres://user@host:port/database)");
        }

        return builder.ConnectionString;
    }

    // One host[:port] of the URI: a name, an IPv4 address or a bracketed IPv6 address ([::1]:5432), percent-decoded
    // (a Unix socket directory is written %2Fvar%2Frun%2Fpostgresql).
    private static (string Host, int? Port) Host(string part)
    {
        string host;
        string? port = null;
        if (part.StartsWith('['))
        {
            var close = part.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw Bad($"the DSN URI's host '{part}' opens '[' without closing it");
            }

            host = part[1..close];
            var after = part[(close + 1)..];
            if (after.Length > 0)
            {
                port = after.StartsWith(':') ? after[1..] : throw Bad($"the DSN URI's host '{part}' has '{after}' after ']' (expected :port)");
            }
        }
        else
        {
            var colon = part.LastIndexOf(':');
            host = Decode(colon >= 0 ? part[..colon] : part, "host");
            port = colon >= 0 ? part[(colon + 1)..] : null;
        }

        if (host.Length == 0)
        {
            throw Bad("the DSN URI has an empty host in its host list");
        }

        return (host, port is { Length: > 0 } ? ParsePort(port) : null);
    }

    private static int ParsePort(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : throw Bad($"the DSN's port '{text}' is not a number from 1 to 65535");

    private static void Set(NpgsqlConnectionStringBuilder builder, string name, string value)
    {
        if (!Keywords.TryGetValue(name, out var keyword))
        {
            throw Bad($"the DSN URI's query parameter '{name}' is not supported; supported are {string.Join(", ", Keywords.Keys.Order(StringComparer.Ordinal))}");
        }

        var mapped = name switch
        {
            "sslmode" or "gssencmode" or "channel_binding" or "sslnegotiation" => Pascal(value),
            "target_session_attrs" => value,
            "keepalives" => value switch
            {
                "1" => "true",
                "0" => "false",
                _ => throw Bad($"the DSN's keepalives '{value}' is not 0 or 1"),
            },
            "load_balance_hosts" => value switch
            {
                "random" => "true",
                "disable" => "false",
                _ => throw Bad($"the DSN's load_balance_hosts '{value}' is not random or disable"),
            },
            "port" => ParsePort(value).ToString(CultureInfo.InvariantCulture),
            _ => value,
        };
        try
        {
            builder[keyword] = mapped;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            var shown = name is "password" or "sslpassword" ? "(hidden)" : $"'{value}'";
            var expected = name == "sslmode" ? " (expected disable, allow, prefer, require, verify-ca or verify-full)" : string.Empty;
            throw new CohortException(ErrorCodes.BadOperation, $"Invalid PostgreSQL DSN: the DSN URI's {name} {shown} is not valid{expected}.", isTransient: false, e);
        }
    }

    // libpq spells enum values in kebab case (verify-full, prefer-standby); Npgsql's enums are Pascal case (VerifyFull).
    private static string Pascal(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var part in value.Split('-', StringSplitOptions.RemoveEmptyEntries))
        {
            text.Append(char.ToUpperInvariant(part[0])).Append(part.AsSpan(1));
        }

        return text.ToString();
    }

    private static string Decode(string text, string what)
    {
        try
        {
            // Uri.UnescapeDataString leaves malformed escapes as they are; catch them so a bad password does not go to the server.
            for (var i = text.IndexOf('%', StringComparison.Ordinal); i >= 0; i = text.IndexOf('%', i + 1))
            {
                if (i + 2 >= text.Length || !char.IsAsciiHexDigit(text[i + 1]) || !char.IsAsciiHexDigit(text[i + 2]))
                {
                    throw Bad($"the DSN URI's {what} has a '%' that is not followed by two hex digits (write a '%' as %25)");
                }
            }

            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException e)
        {
            throw Bad($"the DSN URI's {what} cannot be decoded: {e.Message}");
        }
    }

    private static CohortException Bad(string message) => new(ErrorCodes.BadOperation, "Invalid PostgreSQL DSN: " + message + ".", isTransient: false);
}
