using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json.Nodes;
using Rag.Tests.Graph;

namespace Rag.Tests.Answers;

/// <summary>/query and /chat as a client program uses them, plus ingesting a text document and waiting for it.</summary>
internal static class AnswerApiExtensions
{
    public static readonly TimeSpan IngestTimeout = TimeSpan.FromSeconds(60);

    public static async Task<Guid> IngestAsync(this RagApiClient api, string collection, string fileName, string text)
    {
        var accepted = Assert.Single(await api.UploadAcceptedAsync(collection, (fileName, Encoding.UTF8.GetBytes(text))));
        var job = await api.WaitForJobAsync(accepted.GetGuid("job_id"), IngestTimeout);
        Assert.True(job.GetString("status") == "completed", $"Ingesting {fileName}: {job.ToJsonString()}");
        return accepted.GetGuid("document_id");
    }

    public static async Task<JsonObject> QueryAsync(this RagApiClient api, object request, string? apiLogFile = null)
    {
        using var response = await api.Http.PostAsJsonAsync("/api/v1/query", request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"/query answered {(int)response.StatusCode}: {body}\n{LogTail(apiLogFile)}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>Posts to /chat and reads the whole event stream: each event's type and JSON data, in order.</summary>
    public static async Task<List<(string Type, JsonObject Data)>> ChatAsync(this RagApiClient api, object request, string? apiLogFile = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var message = new HttpRequestMessage(HttpMethod.Post, "/api/v1/chat") { Content = JsonContent.Create(request) };
        using var response = await api.Http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.True(
            response.StatusCode == HttpStatusCode.OK,
            $"/chat answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}\n{LogTail(apiLogFile)}");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = new List<(string, JsonObject)>();
        await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(timeout.Token))
        {
            events.Add((item.EventType, JsonNode.Parse(item.Data)!.AsObject()));
        }

        return events;
    }

    private static string LogTail(string? logFile) =>
        logFile is not null && File.Exists(logFile) ? string.Join('\n', File.ReadLines(logFile).TakeLast(60)) : string.Empty;

    public static string Text(this JsonNode node, string property) => node[property]!.GetValue<string>();
}
