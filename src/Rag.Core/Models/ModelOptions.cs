using System.ComponentModel.DataAnnotations;

namespace Rag.Core.Models;

// "AI": {
//   "Endpoint": "https://api.openai.com/v1",
//   "Key": "<from user secrets or the AI__Key environment variable>",
//   "ChatModel": "gpt-4o-mini",
//   "EmbeddingModel": "text-embedding-3-small",
//   "MaxRetries": 3,
//   "MaxRetryDelay": "00:00:30",
//   "NetworkTimeout": "00:01:40"
// }
/// <summary>
/// An OpenAI-compatible model endpoint (OpenAI, Azure OpenAI's /openai/v1, Ollama's /v1, vLLM, LM Studio).
/// Without an endpoint the offline models are used.
/// </summary>
public sealed class ModelOptions : IValidatableObject
{
    public const string SectionName = "AI";

    /// <summary>The API's base address, including its version segment (…/v1).</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Sent as a bearer token. Local servers such as Ollama accept any value; none is sent when empty.</summary>
    public string? Key { get; set; }

    public string? ChatModel { get; set; }

    /// <summary>When empty, documents keep the offline embedder while answers come from the chat model.</summary>
    public string? EmbeddingModel { get; set; }

    /// <summary>Retries of throttled (429) and transient (5xx, network) failures.</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>The longest wait a Retry-After header may ask for; a longer one fails rather than hold a request.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:01", "00:30:00")]
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(100);

    public bool UsesEndpoint => Endpoint is not null;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Endpoint is null)
        {
            yield break;
        }

        if (!Endpoint.IsAbsoluteUri || Endpoint.Scheme is not ("http" or "https"))
        {
            yield return new ValidationResult("AI:Endpoint must be an absolute http(s) address.", [nameof(Endpoint)]);
        }

        if (string.IsNullOrWhiteSpace(ChatModel))
        {
            yield return new ValidationResult("AI:ChatModel is required when AI:Endpoint is set.", [nameof(ChatModel)]);
        }
    }
}
