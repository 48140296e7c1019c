using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rag.Core.Redis;
using Rag.Core.VectorIndex;

namespace Rag.Core.Generation;

/// <summary>
/// Complete answers in Redis, keyed by the index generation and a hash of the normalized question, its scope and
/// the model: any index change starts a new generation, so no answer outlives the passages it was built from.
/// The cache only saves work: when Redis fails, questions are answered afresh rather than refused.
/// </summary>
public sealed partial class AnswerCache(IRedisClient redis, IndexEvents indexEvents, IOptions<AnswerOptions> options, ILogger<AnswerCache> logger)
{
    private const string KeyPrefix = "rag:answers:";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The entry's key, or null when the index generation cannot be read (then nothing is cached).</summary>
    public async Task<string?> CreateKeyAsync(string question, string scope, string model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(question);
        long generation;
        try
        {
            generation = await indexEvents.GetGenerationAsync(cancellationToken);
        }
        catch (RedisException exception)
        {
            Log.Unavailable(logger, exception.Message);
            return null;
        }

        var identity = string.Join('\n', Normalize(question), scope, model);
        return $"{KeyPrefix}{generation}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))}";
    }

    public async Task<CachedAnswer?> GetAsync(string? key, CancellationToken cancellationToken = default)
    {
        if (key is null)
        {
            return null;
        }

        try
        {
            var value = await redis.GetAsync(key, cancellationToken);
            return value is null ? null : JsonSerializer.Deserialize<CachedAnswer>(value, Json);
        }
        catch (RedisException exception)
        {
            Log.Unavailable(logger, exception.Message);
            return null;
        }
    }

    public async Task SetAsync(string? key, CachedAnswer answer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (key is null || options.Value.CacheDuration <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await redis.SetAsync(key, JsonSerializer.SerializeToUtf8Bytes(answer, Json), options.Value.CacheDuration, cancellationToken: cancellationToken);
        }
        catch (RedisException exception)
        {
            Log.Unavailable(logger, exception.Message);
        }
    }

    /// <summary>Case, spacing and trailing punctuation do not make a different question.</summary>
    internal static string Normalize(string question) =>
        string.Join(' ', question.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).TrimEnd('?', '.', '!', ' ');

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "The answer cache is unavailable ({Reason}); answering without it.")]
        public static partial void Unavailable(ILogger logger, string reason);
    }
}

public sealed record CachedAnswer(string Answer, IReadOnlyList<AnswerSource> Sources, double Confidence, IReadOnlyList<string> GuardrailsTriggered);
