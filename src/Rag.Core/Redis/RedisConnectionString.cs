using System.Globalization;

namespace Rag.Core.Redis;

/// <summary>
/// A StackExchange.Redis-style connection string, the form Aspire injects as <c>ConnectionStrings:cache</c>:
/// <c>host:port,password=secret,ssl=true</c>. Only the first endpoint is used. <see cref="ToString"/> never shows the password.
/// </summary>
public sealed record RedisConnectionString
{
    // Options StackExchange.Redis understands that mean nothing to a single-endpoint client.
    private static readonly HashSet<string> IgnoredOptions = new(StringComparer.OrdinalIgnoreCase)
    {
        "abortConnect", "allowAdmin", "connectRetry", "keepAlive", "resolveDns", "name", "checkCertificateRevocation",
    };

    public required string Host { get; init; }

    public required int Port { get; init; }

    public string? User { get; init; }

    public string? Password { get; init; }

    public bool Ssl { get; init; }

    /// <summary>The name the server certificate must carry; defaults to <see cref="Host"/>.</summary>
    public string? SslHost { get; init; }

    public TimeSpan? ConnectTimeout { get; init; }

    /// <summary>From <c>asyncTimeout</c>, else <c>syncTimeout</c> (every call of this client is asynchronous).</summary>
    public TimeSpan? CommandTimeout { get; init; }

    public int Database { get; init; }

    /// <exception cref="FormatException">A part is malformed or unknown; the message names it (never the password).</exception>
    public static RedisConnectionString Parse(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);

        string? endpoint = null;
        string? user = null, password = null, sslHost = null;
        var ssl = false;
        int database = 0;
        TimeSpan? connectTimeout = null, syncTimeout = null, asyncTimeout = null;

        foreach (var rawPart in connectionString.Split(','))
        {
            var part = rawPart.Trim();
            if (part.Length == 0)
            {
                continue;
            }

            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                endpoint ??= part;
                continue;
            }

            var key = part[..equals].Trim();
            var value = part[(equals + 1)..].Trim();
            switch (key.ToUpperInvariant())
            {
                case "PASSWORD":
                    password = value;
                    break;
                case "USER":
                    user = value;
                    break;
                case "SSL":
                    ssl = ParseBool(key, value);
                    break;
                case "SSLHOST":
                    sslHost = value;
                    break;
                case "CONNECTTIMEOUT":
                    connectTimeout = ParseMilliseconds(key, value);
                    break;
                case "SYNCTIMEOUT":
                    syncTimeout = ParseMilliseconds(key, value);
                    break;
                case "ASYNCTIMEOUT":
                    asyncTimeout = ParseMilliseconds(key, value);
                    break;
                case "DEFAULTDATABASE":
                    database = ParseInt(key, value, min: 0);
                    break;
                default:
                    if (!IgnoredOptions.Contains(key))
                    {
                        throw new FormatException($"Redis connection string option '{key}' is not supported.");
                    }

                    break;
            }
        }

        if (endpoint is null)
        {
            throw new FormatException("Redis connection string has no endpoint; expected 'host:port,...'.");
        }

        var (host, port) = ParseEndpoint(endpoint, ssl);
        return new RedisConnectionString
        {
            Host = host,
            Port = port,
            User = string.IsNullOrEmpty(user) ? null : user,
            Password = string.IsNullOrEmpty(password) ? null : password,
            Ssl = ssl,
            SslHost = string.IsNullOrEmpty(sslHost) ? null : sslHost,
            ConnectTimeout = connectTimeout,
            CommandTimeout = asyncTimeout ?? syncTimeout,
            Database = database,
        };
    }

    public override string ToString()
    {
        var text = $"{FormatHost(Host)}:{Port.ToString(CultureInfo.InvariantCulture)}";
        if (User is not null)
        {
            text += ",user=" + User;
        }

        if (Password is not null)
        {
            text += ",password=*****";
        }

        if (Ssl)
        {
            text += ",ssl=true";
        }

        if (Database != 0)
        {
            text += ",defaultDatabase=" + Database.ToString(CultureInfo.InvariantCulture);
        }

        return text;
    }

    private static (string Host, int Port) ParseEndpoint(string endpoint, bool ssl)
    {
        var defaultPort = ssl ? 6380 : 6379;
        string host;
        string? portText = null;
        if (endpoint.StartsWith('['))
        {
            // IPv6 literal: [::1]:6379
            var close = endpoint.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"Redis endpoint '{endpoint}' has an unclosed '['.");
            }

            host = endpoint[1..close];
            var rest = endpoint[(close + 1)..];
            if (rest.Length > 0)
            {
                portText = rest.StartsWith(':') ? rest[1..] : throw new FormatException($"Redis endpoint '{endpoint}' is malformed.");
            }
        }
        else
        {
            var colon = endpoint.LastIndexOf(':');
            if (colon >= 0 && endpoint.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                throw new FormatException($"Redis endpoint '{endpoint}' is malformed; write IPv6 addresses as [address]:port.");
            }

            host = colon < 0 ? endpoint : endpoint[..colon];
            portText = colon < 0 ? null : endpoint[(colon + 1)..];
        }

        if (host.Length == 0)
        {
            throw new FormatException($"Redis endpoint '{endpoint}' has no host.");
        }

        var port = portText is null ? defaultPort : ParseInt("port", portText, min: 1, max: 65535);
        return (host, port);
    }

    private static string FormatHost(string host) => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;

    private static bool ParseBool(string key, string value) =>
        bool.TryParse(value, out var parsed) ? parsed : throw new FormatException($"Redis connection string option '{key}' must be true or false.");

    private static TimeSpan ParseMilliseconds(string key, string value) =>
        TimeSpan.FromMilliseconds(ParseInt(key, value, min: 1));

    private static int ParseInt(string key, string value, int min, int max = int.MaxValue) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed >= min && parsed <= max
            ? parsed
            : throw new FormatException($"Redis connection string option '{key}' must be a whole number between {min} and {max}.");
}
