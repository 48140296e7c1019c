using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rag.Web.Api;

/// <summary>Rag.Api as the web app uses it: typed calls for pages, raw sends for the /app-api proxies.</summary>
internal sealed class RagApiClient(HttpClient http)
{
    // The API speaks snake_case JSON.
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public async Task<bool> IsAliveAsync(CancellationToken cancellationToken = default)
    {
        using var response = await http.GetAsync("/alive", cancellationToken);
        return response.IsSuccessStatusCode;
    }

    /// <summary>Sends a request as is and returns as soon as the headers arrive, for proxies that stream the body.</summary>
    public Task<HttpResponseMessage> SendStreamingAsync(HttpRequestMessage request, CancellationToken cancellationToken = default) =>
        http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    /// <returns>The token, or null when the user name or password is wrong; throws when the API cannot issue tokens.</returns>
    public async Task<TokenResponse?> RequestTokenAsync(string userName, string password, CancellationToken cancellationToken = default)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/auth/token", new { user_name = userName, password }, Json, cancellationToken);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.BadRequest)
        {
            return null;
        }

        return await ReadAsync<TokenResponse>(response, cancellationToken);
    }

    public async Task<DocumentList> ListDocumentsAsync(DocumentFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var query = new List<string> { $"page={filter.Page}", $"page_size={filter.PageSize}" };
        AddIfPresent(query, "collection", filter.Collection);
        AddIfPresent(query, "status", filter.Status);
        AddIfPresent(query, "tag", filter.Tag);
        using var response = await http.GetAsync($"/api/v1/documents?{string.Join('&', query)}", cancellationToken);
        return await ReadAsync<DocumentList>(response, cancellationToken);
    }

    public async Task DeleteDocumentAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var response = await http.DeleteAsync($"/api/v1/documents/{id}", cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
    }

    public async Task ReindexDocumentAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var response = await http.PostAsync($"/api/v1/documents/{id}/reindex", content: null, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
    }

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string query, string? collection, CancellationToken cancellationToken = default)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/search", new { query, collection, top_k = 8 }, Json, cancellationToken);
        return (await ReadAsync<SearchResults>(response, cancellationToken)).Results;
    }

    /// <returns>The conversations, or an empty list when this API has no conversations yet.</returns>
    public async Task<IReadOnlyList<ConversationSummary>> ListConversationsAsync(CancellationToken cancellationToken = default)
    {
        using var response = await http.GetAsync("/api/v1/conversations", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }

        var body = await ReadAsync<JsonNode>(response, cancellationToken);

        var items = body["conversations"] as JsonArray ?? [];
        return [.. items.Deserialize<List<ConversationSummary>>(Json) ?? []];
    }

    /// <summary>A GET whose JSON the page shows as it is (admin tables, stats), so its shape can grow without changes here.</summary>
    public async Task<JsonNode> GetJsonAsync(string path, CancellationToken cancellationToken = default)
    {
        using var response = await http.GetAsync(path, cancellationToken);
        return await ReadAsync<JsonNode>(response, cancellationToken);
    }

    public async Task<JsonNode?> SendJsonAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }

        using var response = await http.SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return response.StatusCode == HttpStatusCode.NoContent ? null : await response.Content.ReadFromJsonAsync<JsonNode>(Json, cancellationToken);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken)
            ?? throw new ApiProblemException(response.StatusCode, "The service sent an empty answer", null);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await ApiProblemException.FromResponseAsync(response, cancellationToken);
        }
    }

    private static void AddIfPresent(List<string> query, string name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            query.Add($"{name}={Uri.EscapeDataString(value.Trim())}");
        }
    }
}

internal sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn, string UserName, string Role);

internal sealed record DocumentFilter(string? Collection, string? Status, string? Tag, int Page = 1, int PageSize = 20);

internal sealed record DocumentList(IReadOnlyList<DocumentSummary> Items, int Page, int PageSize, long Total);

internal sealed record DocumentSummary(
    Guid Id,
    string Collection,
    string Title,
    string FileName,
    string ContentType,
    long SizeBytes,
    IReadOnlyList<string> Tags,
    string Status,
    string? Error,
    int ChunkCount,
    Guid? LatestJobId,
    DateTimeOffset UpdatedAt);

internal sealed record SearchResults(IReadOnlyList<SearchHit> Results);

internal sealed record SearchHit(Guid DocumentId, string Title, IReadOnlyList<string> HeadingPath, int? Page, string Text, double Score);

internal sealed record ConversationSummary(Guid Id, string? Title, DateTimeOffset? UpdatedAt);
