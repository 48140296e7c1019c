using System.ClientModel;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AIChatRole = Microsoft.Extensions.AI.ChatRole;
using SdkChatMessage = OpenAI.Chat.ChatMessage;

namespace Rag.Core.Models;

/// <summary>
/// <see cref="IChatClient"/> over the OpenAI SDK's chat completions, for any OpenAI-compatible endpoint.
/// Text only: the answers pipeline needs no tools or images. Thread-safe.
/// </summary>
internal sealed class OpenAICompatibleChatClient : IChatClient
{
    private readonly OpenAIClient _client;
    private readonly Uri _endpoint;
    private readonly string _defaultModel;
    private readonly ChatClientMetadata _metadata;

    public OpenAICompatibleChatClient(OpenAIClient client, Uri endpoint, string defaultModel)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(defaultModel);
        _client = client;
        _endpoint = endpoint;
        _defaultModel = defaultModel;
        _metadata = new ChatClientMetadata("openai-compatible", endpoint, defaultModel);
    }

    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<AIChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ChatCompletion completion;
        try
        {
            completion = await ChatClientFor(options).CompleteChatAsync(ToSdkMessages(messages), ToSdkOptions(options), cancellationToken);
        }
        catch (ClientResultException exception) when (OpenAIClientFactory.AsAuthenticationFailure(exception, _endpoint) is { } authentication)
        {
            throw authentication;
        }

        var text = string.Concat(completion.Content.Where(part => part.Kind == ChatMessageContentPartKind.Text).Select(part => part.Text));
        return new ChatResponse(new AIChatMessage(AIChatRole.Assistant, text))
        {
            ResponseId = completion.Id,
            ModelId = completion.Model,
            CreatedAt = completion.CreatedAt,
            FinishReason = ToFinishReason(completion.FinishReason),
            Usage = completion.Usage is { } usage
                ? new UsageDetails { InputTokenCount = usage.InputTokenCount, OutputTokenCount = usage.OutputTokenCount, TotalTokenCount = usage.TotalTokenCount }
                : null,
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<AIChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        // The token reaches the HTTP response stream: cancelling closes the connection, which stops the server generating.
        var updates = ChatClientFor(options)
            .CompleteChatStreamingAsync(ToSdkMessages(messages), ToSdkOptions(options), cancellationToken)
            .GetAsyncEnumerator(cancellationToken);
        await using (updates)
        {
            while (await MoveNextAsync(updates))
            {
                var update = updates.Current;
                foreach (var part in update.ContentUpdate)
                {
                    if (part.Kind == ChatMessageContentPartKind.Text && part.Text.Length > 0)
                    {
                        yield return new ChatResponseUpdate(AIChatRole.Assistant, part.Text) { ResponseId = update.CompletionId, ModelId = update.Model };
                    }
                }

                if (update.FinishReason is { } finish)
                {
                    yield return new ChatResponseUpdate { ResponseId = update.CompletionId, ModelId = update.Model, FinishReason = ToFinishReason(finish) };
                }
            }
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    public void Dispose()
    {
    }

    private async ValueTask<bool> MoveNextAsync(IAsyncEnumerator<StreamingChatCompletionUpdate> updates)
    {
        try
        {
            return await updates.MoveNextAsync();
        }
        catch (ClientResultException exception) when (OpenAIClientFactory.AsAuthenticationFailure(exception, _endpoint) is { } authentication)
        {
            throw authentication;
        }
    }

    private ChatClient ChatClientFor(ChatOptions? options) => _client.GetChatClient(options?.ModelId ?? _defaultModel);

    private static List<SdkChatMessage> ToSdkMessages(IEnumerable<AIChatMessage> messages) =>
        [.. messages.Select(message => message.Role == AIChatRole.System ? new SystemChatMessage(message.Text)
            : message.Role == AIChatRole.Assistant ? new AssistantChatMessage(message.Text)
            : message.Role == AIChatRole.User ? (SdkChatMessage)new UserChatMessage(message.Text)
            : throw new NotSupportedException($"Messages with the role '{message.Role}' are not supported."))];

    private static ChatCompletionOptions ToSdkOptions(ChatOptions? options)
    {
        var sdkOptions = new ChatCompletionOptions();
        if (options is null)
        {
            return sdkOptions;
        }

        sdkOptions.Temperature = options.Temperature;
        sdkOptions.TopP = options.TopP;
        sdkOptions.MaxOutputTokenCount = options.MaxOutputTokens;
        foreach (var stop in options.StopSequences ?? [])
        {
            sdkOptions.StopSequences.Add(stop);
        }

        return sdkOptions;
    }

    private static Microsoft.Extensions.AI.ChatFinishReason ToFinishReason(OpenAI.Chat.ChatFinishReason reason) => reason switch
    {
        OpenAI.Chat.ChatFinishReason.Length => Microsoft.Extensions.AI.ChatFinishReason.Length,
        OpenAI.Chat.ChatFinishReason.ContentFilter => Microsoft.Extensions.AI.ChatFinishReason.ContentFilter,
        OpenAI.Chat.ChatFinishReason.ToolCalls or OpenAI.Chat.ChatFinishReason.FunctionCall => Microsoft.Extensions.AI.ChatFinishReason.ToolCalls,
        _ => Microsoft.Extensions.AI.ChatFinishReason.Stop,
    };
}
