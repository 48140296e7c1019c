using System.Security.Cryptography;
using System.Text;

namespace Rag.Core.Redis;

/// <summary>
/// A Lua script run by its SHA1 (EVALSHA), so its text crosses the wire only when the server does not have it
/// cached: on NOSCRIPT (first use, restart, SCRIPT FLUSH) it falls back to EVAL, which also caches it again.
/// Create one instance per script and keep it.
/// </summary>
public sealed class RedisScript
{
    public RedisScript(string source)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        Source = source;
        Sha1 = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(source)));
    }

    public string Source { get; }

    /// <summary>The script's SHA1 as Redis computes it: lower-case hex of its UTF-8 bytes.</summary>
    public string Sha1 { get; }

    public async Task<RedisResult> EvaluateAsync(
        IRedisClient client, IReadOnlyList<string> keys, IReadOnlyList<RedisValue> arguments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(arguments);
        try
        {
            return await client.ExecuteAsync("EVALSHA", BuildArguments(Sha1, keys, arguments), cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException error) when (error.ErrorCode == "NOSCRIPT")
        {
            return await client.ExecuteAsync("EVAL", BuildArguments(Source, keys, arguments), cancellationToken).ConfigureAwait(false);
        }
    }

    private static RedisValue[] BuildArguments(string script, IReadOnlyList<string> keys, IReadOnlyList<RedisValue> arguments) =>
        [script, keys.Count, .. keys.Select(key => (RedisValue)key), .. arguments];
}
