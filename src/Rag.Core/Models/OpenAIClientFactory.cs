using System.ClientModel;
using OpenAI;

namespace Rag.Core.Models;

internal static class OpenAIClientFactory
{
    // Local servers (Ollama, LM Studio) ignore the key but the SDK requires one.
    private const string PlaceholderKey = "unused";

    public static OpenAIClient Create(ModelOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        var endpoint = options.Endpoint ?? throw new InvalidOperationException("AI:Endpoint is not set.");
        return new OpenAIClient(
            new ApiKeyCredential(string.IsNullOrEmpty(options.Key) ? PlaceholderKey : options.Key),
            new OpenAIClientOptions
            {
                Endpoint = endpoint,
                RetryPolicy = new RetryAfterPolicy(options.MaxRetries, options.MaxRetryDelay, timeProvider),
                NetworkTimeout = options.NetworkTimeout,
            });
    }

    /// <summary>Turns the SDK's failure into ours when it means the credentials were refused; otherwise null.</summary>
    public static ModelAuthenticationException? AsAuthenticationFailure(ClientResultException exception, Uri endpoint) =>
        exception.Status is 401 or 403
            ? new ModelAuthenticationException(
                $"The model endpoint {endpoint.GetLeftPart(UriPartial.Authority)} rejected the API key (HTTP {exception.Status}). Check AI:Key.",
                exception)
            : null;
}
