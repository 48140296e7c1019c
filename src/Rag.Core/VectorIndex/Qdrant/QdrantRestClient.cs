using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Rag.Core.VectorIndex.Qdrant;

/// <summary>
/// The HTTP mechanics of Qdrant's REST API: JSON bodies in, the <c>result</c> member out, and any non-success
/// status turned into a <see cref="QdrantException"/>. Transient failures are retried by the resilience handler
/// every HttpClient gets from ServiceDefaults, never here: a 4xx is final.
/// </summary>
internal sealed class QdrantRestClient(IHttpClientFactory httpClientFactory, string httpClientName)
{
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");

    /// <summary>Sends a request and returns Qdrant's <c>result</c> member (cloned, so the document can go).</summary>
    public async Task<JsonElement> SendAsync(
        HttpMethod method, string pathAndQuery, Action<Utf8JsonWriter>? writeBody, CancellationToken cancellationToken = default)
    {
        var result = await TrySendAsync(method, pathAndQuery, writeBody, notFoundIsNull: false, cancellationToken).ConfigureAwait(false);
        return result!.Value;
    }

    /// <summary>As <see cref="SendAsync"/>, but a 404 gives null: for reads of things that may not exist yet.</summary>
    public Task<JsonElement?> SendOrNotFoundAsync(
        HttpMethod method, string pathAndQuery, Action<Utf8JsonWriter>? writeBody, CancellationToken cancellationToken = default)
        => TrySendAsync(method, pathAndQuery, writeBody, notFoundIsNull: true, cancellationToken);

    private async Task<JsonElement?> TrySendAsync(
        HttpMethod method, string pathAndQuery, Action<Utf8JsonWriter>? writeBody, bool notFoundIsNull, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, pathAndQuery);
        if (writeBody is not null)
        {
            request.Content = JsonBody(writeBody);
        }

        var client = httpClientFactory.CreateClient(httpClientName);
        using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);

        if (notFoundIsNull && response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new QdrantException(response.StatusCode, $"{method} {Path(pathAndQuery)}", ErrorMessage(bytes));
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            return document.RootElement.TryGetProperty("result", out var result) ? result.Clone() : default;
        }
        catch (JsonException ex)
        {
            throw new QdrantException(response.StatusCode, $"{method} {Path(pathAndQuery)}", $"the answer is not JSON ({ex.Message})");
        }
    }

    private static ByteArrayContent JsonBody(Action<Utf8JsonWriter> writeBody)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writeBody(writer);
        }

        var content = new ByteArrayContent(buffer.WrittenSpan.ToArray());
        content.Headers.ContentType = JsonMediaType;
        return content;
    }

    // Qdrant answers errors as {"status":{"error":"..."}}; anything else (a proxy's page) is shown trimmed.
    private static string ErrorMessage(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("status", out var status)
                && status.ValueKind == JsonValueKind.Object
                && status.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.String)
            {
                return error.GetString()!;
            }
        }
        catch (JsonException)
        {
            // Not JSON: fall through to the raw text.
        }

        var text = Encoding.UTF8.GetString(body).Trim();
        if (text.Length == 0)
        {
            return "(no message)";
        }

        return text.Length <= 500 ? text : text[..500] + "…";
    }

    private static string Path(string pathAndQuery)
    {
        var query = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? pathAndQuery : pathAndQuery[..query];
    }
}
