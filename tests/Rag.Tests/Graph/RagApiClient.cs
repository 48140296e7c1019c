using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rag.Tests.Graph;

/// <summary>The HTTP API as a client program sees it: JSON in snake_case over real HTTP, with a bearer credential when given one.</summary>
public sealed class RagApiClient : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <param name="credential">A token from /api/v1/auth/token or an API key; null for an anonymous client.</param>
    public RagApiClient(Uri baseAddress, string? credential = null)
    {
        Credential = credential;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (credential is not null)
        {
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        }
    }

    public HttpClient Http { get; }

    public string? Credential { get; }

    /// <summary>A client signed in as the bootstrap admin the launcher configured.</summary>
    public static Task<RagApiClient> SignInAsAdminAsync(Rag.LocalHost.LocalGraph graph) =>
        SignInAsync(graph.Api.Url, "admin", graph.Secrets.AdminPassword);

    public static async Task<RagApiClient> SignInAsync(Uri baseAddress, string userName, string password)
    {
        using var anonymous = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        using var response = await anonymous.PostAsJsonAsync("/api/v1/auth/token", new { user_name = userName, password });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Sign-in as {userName} answered {(int)response.StatusCode}: {body}");
        return new RagApiClient(baseAddress, JsonNode.Parse(body)!.GetString("access_token"));
    }

    public async Task<HttpResponseMessage> UploadAsync(string? collection, params (string FileName, byte[] Content)[] files)
    {
        using var form = new MultipartFormDataContent();
        if (collection is not null)
        {
            form.Add(new StringContent(collection), "collection");
        }

        foreach (var (fileName, content) in files)
        {
            var part = new ByteArrayContent(content);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, "files", fileName);
        }

        return await Http.PostAsync("/api/v1/documents", form);
    }

    /// <summary>Uploads files that must all be accepted; returns each file's entry of the 202 answer.</summary>
    public async Task<IReadOnlyList<JsonObject>> UploadAcceptedAsync(string? collection, params (string FileName, byte[] Content)[] files)
    {
        using var response = await UploadAsync(collection, files);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Upload answered {(int)response.StatusCode}: {body}");
        return [.. JsonNode.Parse(body)!["documents"]!.AsArray().Select(d => d!.AsObject())];
    }

    public async Task<JsonObject> GetJobAsync(Guid jobId) =>
        (await Http.GetFromJsonAsync<JsonObject>($"/api/v1/jobs/{jobId}", Json))!;

    /// <summary>Polls until the job is completed, failed or cancelled, and returns it.</summary>
    public async Task<JsonObject> WaitForJobAsync(Guid jobId, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var job = await GetJobAsync(jobId);
            if (job["status"]!.GetValue<string>() is "completed" or "failed" or "cancelled")
            {
                return job;
            }

            try
            {
                await Task.Delay(100, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Job {jobId} did not finish within {timeout}: {job.ToJsonString()}");
            }
        }
    }

    public async Task<JsonObject> GetDocumentAsync(Guid documentId) =>
        (await Http.GetFromJsonAsync<JsonObject>($"/api/v1/documents/{documentId}", Json))!;

    public async Task<JsonArray> SearchAsync(string query, string? collection = null, int topK = 5)
    {
        using var response = await Http.PostAsJsonAsync("/api/v1/search", new { query, collection, top_k = topK });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Search answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!["results"]!.AsArray();
    }

    public void Dispose() => Http.Dispose();
}

internal static class JsonNodeExtensions
{
    public static Guid GetGuid(this JsonNode node, string property) => Guid.Parse(node[property]!.GetValue<string>());

    public static string GetString(this JsonNode node, string property) => node[property]!.GetValue<string>();
}
