using System.Net;
using System.Text.Json;

namespace Rag.Web.Api;

/// <summary>An API call that failed, in words a person understands (from the API's RFC 7807 problem details).</summary>
internal sealed class ApiProblemException(HttpStatusCode status, string title, string? detail)
    : Exception(detail is null ? title : $"{title}: {detail}")
{
    public HttpStatusCode Status { get; } = status;

    public string Title { get; } = title;

    public string? Detail { get; } = detail;

    /// <summary>The API refused the token (expired or revoked): the user has to sign in again.</summary>
    public bool IsUnauthorized => Status == HttpStatusCode.Unauthorized;

    public static async Task<ApiProblemException> FromResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        var title = DefaultTitle(response.StatusCode);
        string? detail = null;
        try
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (body.Length > 0 && body.TrimStart().StartsWith('{'))
            {
                using var json = JsonDocument.Parse(body);
                if (json.RootElement.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String)
                {
                    title = t.GetString()!;
                }

                if (json.RootElement.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String)
                {
                    detail = d.GetString();
                }
            }
        }
        catch (JsonException)
        {
            // Not problem details: the status alone says what happened.
        }

        return new ApiProblemException(response.StatusCode, title, detail);
    }

    public static string DefaultTitle(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => "Please sign in again",
        HttpStatusCode.Forbidden => "You do not have access to this",
        HttpStatusCode.NotFound => "Not found",
        HttpStatusCode.TooManyRequests => "Too many requests; please wait a moment",
        >= HttpStatusCode.InternalServerError => "The service is having trouble; please try again in a moment",
        _ => "The request was not accepted",
    };
}

/// <summary>The words shown when the API cannot be reached at all.</summary>
internal static class ServiceMessages
{
    public const string Unavailable = "The service is unavailable right now. Please try again in a moment.";
}
