using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Rag.Core.Redis;
using Rag.Core.VectorIndex;

namespace Rag.Core.Generation;

/// <summary>
/// Complete answers in Redis, keyed by the index generation and a hash of the normalized question, its scope and
/// the model: any index change starts a new generation, so no answer outlives the passages it was built from.
/// </summary>
public sealed class AnswerCache(IRedisClient redis, IndexEvents indexEvents, IOptions<AnswerOptions> options)
{
    private const string KeyPrefix = "rag:answers:";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<string> CreateKeyAsync(string question, string scope, string model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(question);
        var generation = await indexEvents.GetGenerationAsync(cancellationToken);
        var identity = string.Join('\n', Normalize(question), scope, model);
        return $"{KeyPrefix}{generation}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))}";
    }

    public async Task<CachedAnswer?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var value = await redis.GetAsync(key, cancellationToken);
        return value is null ? null : JsonSerializer.Deserialize<CachedAnswer>(value, Json);
    }

    public async Task SetAsync(string key, CachedAnswer answer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (options.Value.CacheDuration > TimeSpan.Zero)
        {
            await redis.SetAsync(key, JsonSerializer.SerializeToUtf8Bytes(answer, Json), options.Value.CacheDuration, cancellationToken: cancellationToken);
        }
    }

    /// <summary>Case, spacing and trailing punctuation do not make a different question.</summary>
    internal static string Normalize(string question) =>
        string.Join(' ', question.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).TrimEnd('?', '.', '!', ' ');
}

public sealed record CachedAnswer(string Answer, IReadOnlyList<AnswerSource> Sources, double Confidence, IReadOnlyList<string> GuardrailsTriggered);
