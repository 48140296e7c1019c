using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Rag.Core.Identity;

namespace Rag.Api.Auth;

public sealed record IssuedToken(string AccessToken, TimeSpan ExpiresIn);

/// <summary>
/// Issues and validates HS256 JSON Web Tokens (RFC 7519). Written here because Microsoft.AspNetCore.Authentication.JwtBearer
/// cannot be restored from our package mirror. Deliberately strict: only "HS256" is accepted (never "none", never another
/// algorithm), the signature is compared in constant time, and iss, aud, exp and nbf are all required and checked.
/// </summary>
public sealed class JwtTokens
{
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);
    private static readonly byte[] Header = Encoding.UTF8.GetBytes("""{"alg":"HS256","typ":"JWT"}""");

    private readonly byte[] _key;
    private readonly AuthOptions _options;
    private readonly TimeProvider _time;

    public JwtTokens(IOptions<AuthOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time;

        // Development without a configured key: a random one, so tokens last only as long as this process.
        _key = _options.SigningKey is { Length: > 0 } key ? Encoding.UTF8.GetBytes(key) : RandomNumberGenerator.GetBytes(64);
    }

    public IssuedToken Issue(UserRecord user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var payload = new JsonObject
        {
            ["iss"] = _options.Issuer,
            ["aud"] = _options.Audience,
            ["sub"] = user.Id.ToString(),
            ["name"] = user.UserName,
            ["role"] = user.Role,
            ["iat"] = now,
            ["nbf"] = now,
            ["exp"] = now + (long)_options.TokenLifetime.TotalSeconds,
            ["jti"] = Guid.NewGuid().ToString("N"),
        };
        var signingInput = Base64Url.EncodeToString(Header) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        var signature = HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(signingInput));
        return new IssuedToken(signingInput + "." + Base64Url.EncodeToString(signature), _options.TokenLifetime);
    }

    /// <summary>The user id in a valid token, or null for anything malformed, unsigned, wrongly signed, expired or not meant for us.</summary>
    public Guid? Validate(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var parts = token.Split('.');
        if (parts.Length != 3 || !TryDecode(parts[0], out var headerBytes) || !TryDecode(parts[1], out var payloadBytes) || !TryDecode(parts[2], out var signature))
        {
            return null;
        }

        if (ParseObject(headerBytes) is not { } header || header["alg"] is not JsonValue alg || alg.GetValueKind() != JsonValueKind.String
            || alg.GetValue<string>() != "HS256" || header.ContainsKey("crit"))
        {
            return null;
        }

        var expected = HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        if (!CryptographicOperations.FixedTimeEquals(expected, signature))
        {
            return null;
        }

        if (ParseObject(payloadBytes) is not { } payload
            || ReadString(payload, "iss") != _options.Issuer
            || !HasAudience(payload["aud"], _options.Audience)
            || ReadSeconds(payload, "exp") is not { } expires
            || ReadSeconds(payload, "nbf") is not { } notBefore
            || !Guid.TryParse(ReadString(payload, "sub"), out var userId))
        {
            return null;
        }

        var now = _time.GetUtcNow();
        return now - ClockSkew < DateTimeOffset.FromUnixTimeSeconds(expires) && DateTimeOffset.FromUnixTimeSeconds(notBefore) <= now + ClockSkew
            ? userId
            : null;
    }

    private static bool TryDecode(string part, out byte[] bytes)
    {
        bytes = [];
        if (part.Length == 0 || !Base64Url.IsValid(part))
        {
            return false;
        }

        bytes = Base64Url.DecodeFromChars(part);
        return true;
    }

    private static JsonObject? ParseObject(byte[] json)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? ReadString(JsonObject payload, string name) =>
        payload[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static long? ReadSeconds(JsonObject payload, string name) =>
        payload[name] is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<long>(out var seconds) ? seconds : null;

    private static bool HasAudience(JsonNode? audience, string expected) => audience switch
    {
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>() == expected,
        JsonArray values => values.Any(v => v is JsonValue value && value.GetValueKind() == JsonValueKind.String && value.GetValue<string>() == expected),
        _ => false,
    };
}
