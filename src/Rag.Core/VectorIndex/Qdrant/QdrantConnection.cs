using System.Data.Common;
using Microsoft.Extensions.Configuration;

namespace Rag.Core.VectorIndex.Qdrant;

/// <summary>
/// Qdrant's REST endpoint and API key, read from Aspire's connection string
/// <c>Endpoint=http://host:6333;Key=secret</c> (a bare <c>http://host:6333</c> is accepted too).
/// </summary>
public sealed record QdrantConnection(Uri Endpoint, string? ApiKey)
{
    public static QdrantConnection FromConfiguration(IConfiguration configuration, string connectionName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionName);

        var connectionString = configuration.GetConnectionString(connectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{connectionName} is not set; expected \"Endpoint=http://host:6333;Key=...\".");
        }

        try
        {
            return Parse(connectionString);
        }
        catch (FormatException ex)
        {
            // The message never repeats the connection string: it may carry the key.
            throw new InvalidOperationException($"ConnectionStrings:{connectionName} is malformed: {ex.Message}", ex);
        }
    }

    public static QdrantConnection Parse(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var text = connectionString.Trim();

        if (Uri.TryCreate(text, UriKind.Absolute, out var bare) && IsHttp(bare))
        {
            return new QdrantConnection(bare, null);
        }

        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = text;
        }
        catch (ArgumentException ex)
        {
            throw new FormatException("it is not a list of key=value pairs separated by ';'.", ex);
        }

        string? endpointText = null;
        string? key = null;
        foreach (string name in builder.Keys)
        {
            var value = Convert.ToString(builder[name], System.Globalization.CultureInfo.InvariantCulture);
            switch (name.ToUpperInvariant())
            {
                case "ENDPOINT":
                    endpointText = value;
                    break;
                case "KEY":
                    key = string.IsNullOrWhiteSpace(value) ? null : value;
                    break;
                default:
                    throw new FormatException($"unknown key '{name}'; only Endpoint and Key are understood.");
            }
        }

        if (string.IsNullOrWhiteSpace(endpointText))
        {
            throw new FormatException("it has no Endpoint.");
        }

        if (!Uri.TryCreate(endpointText, UriKind.Absolute, out var endpoint) || !IsHttp(endpoint))
        {
            throw new FormatException($"Endpoint '{endpointText}' is not an absolute http(s) URI.");
        }

        return new QdrantConnection(endpoint, key);
    }

    // Hide the key from logs and exception messages that print this record.
    public override string ToString() => $"Endpoint={Endpoint}{(ApiKey is null ? "" : ";Key=***")}";

    private static bool IsHttp(Uri uri) => uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps;
}
