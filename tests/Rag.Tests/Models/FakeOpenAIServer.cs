using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Rag.Tests.Models;

/// <summary>
/// A local stand-in for an OpenAI-compatible endpoint (the paid API cannot run here): /v1/chat/completions with and
/// without stream=true, and /v1/embeddings, over real HTTP on loopback. It records every request and enforces the
/// published contract: a bearer key, a model, messages or input.
/// </summary>
public sealed class FakeOpenAIServer : IAsyncDisposable
{
    public const string ValidKey = "sk-test-valid-key-0123456789";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _throttles = new();
    private readonly TaskCompletionSource _streamAborted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private FakeOpenAIServer(WebApplication app) => _app = app;

    public Uri Endpoint => new(_app.Urls.First().TrimEnd('/') + "/v1");

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>The words a streamed or complete chat answer is made of.</summary>
    public IReadOnlyList<string> AnswerWords { get; set; } = ["The", " answer", " is", " 42", " [1]", "."];

    /// <summary>When set, a streamed answer never ends: it sends a word every 20 ms until the client goes away.</summary>
    public bool StreamForever { get; set; }

    /// <summary>The pause after each word of a streamed <see cref="AnswerWords"/> answer, for a model that takes its time.</summary>
    public TimeSpan WordDelay { get; set; }

    /// <summary>Completes when a client closed the connection in the middle of a streamed answer.</summary>
    public Task StreamAborted => _streamAborted.Task;

    public int ChatRequestCount => Requests.Count(r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal));

    /// <summary>The next request is answered 429 with this Retry-After (seconds).</summary>
    public void ThrottleNextRequest(int retryAfterSeconds) => _throttles.Enqueue(retryAfterSeconds);

    public static async Task<FakeOpenAIServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeOpenAIServer(app);
        app.MapPost("/v1/chat/completions", server.ChatAsync);
        app.MapPost("/v1/embeddings", server.EmbeddingsAsync);
        await app.StartAsync();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ChatAsync(HttpContext context)
    {
        var body = await RecordAsync(context);
        if (!await AdmitAsync(context, body))
        {
            return;
        }

        if (body["messages"] is not JsonArray { Count: > 0 })
        {
            await ErrorAsync(context, HttpStatusCode.BadRequest, "'messages' is required.");
            return;
        }

        var model = body["model"]!.GetValue<string>();
        if (body["stream"]?.GetValue<bool>() != true)
        {
            await context.Response.WriteAsJsonAsync(new JsonObject
            {
                ["id"] = "chatcmpl-fake",
                ["object"] = "chat.completion",
                ["created"] = 1_700_000_000,
                ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = string.Concat(AnswerWords) },
                    ["finish_reason"] = "stop",
                }),
                ["usage"] = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = AnswerWords.Count, ["total_tokens"] = 10 + AnswerWords.Count },
            });
            return;
        }

        context.Response.ContentType = "text/event-stream";
        try
        {
            // Read once: a test may change the settings for its next request while this one streams on.
            var (words, delay) = StreamForever
                ? (Enumerable.Range(0, int.MaxValue).Select(i => $" word{i}"), TimeSpan.FromMilliseconds(20))
                : (AnswerWords, WordDelay);
            foreach (var word in words)
            {
                await WriteChunkAsync(context, model, new JsonObject { ["content"] = word }, finishReason: null);
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, context.RequestAborted);
                }
            }

            await WriteChunkAsync(context, model, new JsonObject(), "stop");
            await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            _streamAborted.TrySetResult();
        }
        catch (IOException)
        {
            _streamAborted.TrySetResult();
        }
    }

    private async Task EmbeddingsAsync(HttpContext context)
    {
        var body = await RecordAsync(context);
        if (!await AdmitAsync(context, body))
        {
            return;
        }

        var inputs = body["input"] switch
        {
            JsonArray array => array.Select(i => i!.GetValue<string>()).ToList(),
            JsonValue value => [value.GetValue<string>()],
            _ => [],
        };
        var dimensions = body["dimensions"]?.GetValue<int>() ?? 3;
        await context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["object"] = "list",
            ["model"] = body["model"]!.GetValue<string>(),
            ["data"] = new JsonArray([.. inputs.Select((input, index) => (JsonNode)new JsonObject
            {
                ["object"] = "embedding",
                ["index"] = index,
                ["embedding"] = new JsonArray([.. Enumerable.Range(0, dimensions).Select(d => (JsonNode)JsonValue.Create(input.Length + d))]),
            })]),
            ["usage"] = new JsonObject { ["prompt_tokens"] = inputs.Count, ["total_tokens"] = inputs.Count },
        });
    }

    private async Task<JsonObject> RecordAsync(HttpContext context)
    {
        var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        Requests.Enqueue(new RecordedRequest(context.Request.Path, context.Request.Headers.Authorization.ToString(), body, DateTimeOffset.UtcNow));
        return body;
    }

    // The contract every endpoint shares: a valid bearer key, a model, and throttling when asked for.
    private async Task<bool> AdmitAsync(HttpContext context, JsonObject body)
    {
        if (context.Request.Headers.Authorization.ToString() != $"Bearer {ValidKey}")
        {
            await ErrorAsync(context, HttpStatusCode.Unauthorized, "Incorrect API key provided.");
            return false;
        }

        if (body["model"] is not JsonValue)
        {
            await ErrorAsync(context, HttpStatusCode.BadRequest, "'model' is required.");
            return false;
        }

        if (_throttles.TryDequeue(out var retryAfter))
        {
            context.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await ErrorAsync(context, HttpStatusCode.TooManyRequests, "Rate limit reached.");
            return false;
        }

        return true;
    }

    private static async Task WriteChunkAsync(HttpContext context, string model, JsonObject delta, string? finishReason)
    {
        var chunk = new JsonObject
        {
            ["id"] = "chatcmpl-fake",
            ["object"] = "chat.completion.chunk",
            ["created"] = 1_700_000_000,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finishReason }),
        };
        await context.Response.WriteAsync($"data: {chunk.ToJsonString()}\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private static Task ErrorAsync(HttpContext context, HttpStatusCode status, string message)
    {
        context.Response.StatusCode = (int)status;
        return context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["error"] = new JsonObject { ["message"] = message, ["type"] = "invalid_request_error", ["code"] = null },
        });
    }
}

public sealed record RecordedRequest(string Path, string Authorization, JsonObject Body, DateTimeOffset ReceivedAt)
{
    public override string ToString() => $"{Path} {Body.ToJsonString(new JsonSerializerOptions { WriteIndented = false })}";
}
