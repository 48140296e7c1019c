using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Rag.Core.Webhooks;

/// <summary>
/// How a delivery proves where it came from and when. Each request carries:
/// <list type="bullet">
/// <item><c>Rag-Webhook-Id</c>: the delivery id, the same on every retry of it (receivers drop ids they have seen);</item>
/// <item><c>Rag-Webhook-Timestamp</c>: Unix seconds when this attempt was sent;</item>
/// <item><c>Rag-Webhook-Signature</c>: <c>v1=</c> and the lowercase hex HMAC-SHA256, keyed with the webhook's secret
/// (UTF-8), of <c>"{timestamp}.{body}"</c>.</item>
/// </list>
/// A receiver recomputes the HMAC over the raw body, compares in constant time, and rejects timestamps older than
/// a few minutes: a captured request replayed later then fails, and one replayed at once repeats a known id.
/// </summary>
public static class WebhookSignature
{
    public const string IdHeader = "Rag-Webhook-Id";
    public const string TimestampHeader = "Rag-Webhook-Timestamp";
    public const string SignatureHeader = "Rag-Webhook-Signature";
    public const string EventHeader = "Rag-Webhook-Event";

    private const string Version = "v1=";

    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return Version + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    /// <summary>What a receiver does: true when the signature matches and the timestamp is within <paramref name="tolerance"/> of <paramref name="now"/>.</summary>
    public static bool Verify(string secret, string? timestampHeader, string? signatureHeader, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (!long.TryParse(timestampHeader, NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp) || signatureHeader is null)
        {
            return false;
        }

        if ((now - DateTimeOffset.FromUnixTimeSeconds(timestamp)).Duration() > tolerance)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Sign(secret, timestamp, body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signatureHeader));
    }

    /// <summary>A new secret for a webhook, shown to its owner once.</summary>
    public static string CreateSecret() => "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
