using System.Text.Json;
using Markdig;
using Rag.Web.Api;
using Rag.Web.Security;

namespace Rag.Web.AppApi;

/// <summary>
/// The web app's own small API for its scripts and plain forms (backend-for-frontend): same-origin, antiforgery-checked,
/// and forwarding to Rag.Api with the user's token, which stays on the server.
/// </summary>
internal static class AppApiEndpoints
{
    // Answers are rendered as Markdown with raw HTML disabled, so model output can never inject markup.
    private static readonly MarkdownPipeline SafeMarkdown = new MarkdownPipelineBuilder().DisableHtml().UseSoftlineBreakAsHardlineBreak().Build();

    public static IEndpointRouteBuilder MapAppApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/app-api").RequireAntiforgery().DisableAntiforgery();

        group.MapPost("/documents", context => ApiProxy.ForwardAsync(context, HttpMethod.Post, "/api/v1/documents", forwardBody: true));
        group.MapGet("/jobs/{id:guid}/events", (HttpContext context, Guid id) => ApiProxy.ForwardAsync(context, HttpMethod.Get, $"/api/v1/jobs/{id}/events", forwardBody: false));
        group.MapPost("/chat", context => ApiProxy.ForwardAsync(context, HttpMethod.Post, "/api/v1/chat", forwardBody: true));
        group.MapPost("/markdown", (Func<HttpContext, Task<IResult>>)RenderMarkdownAsync);

        // Plain HTML forms (they work without scripts): do the change, then go back to the page.
        group.MapPost("/documents/{id:guid}/delete", (HttpContext context, Guid id, RagApiClient api) =>
            FormActionAsync(context, "/documents", "Document deleted.", ct => api.DeleteDocumentAsync(id, ct)));
        group.MapPost("/documents/{id:guid}/reindex", (HttpContext context, Guid id, RagApiClient api) =>
            FormActionAsync(context, "/documents", "Reindexing queued.", ct => api.ReindexDocumentAsync(id, ct)));
        group.MapPost("/conversations/{id:guid}/rename", async (HttpContext context, Guid id, RagApiClient api) =>
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var title = form["title"].ToString().Trim();
            return await FormActionAsync(context, $"/chat/{id}", "Conversation renamed.", ct =>
                api.SendJsonAsync(HttpMethod.Patch, $"/api/v1/conversations/{id}", new { title }, ct));
        });
        group.MapPost("/conversations/{id:guid}/delete", (HttpContext context, Guid id, RagApiClient api) =>
            FormActionAsync(context, "/chat", "Conversation deleted.", ct => api.SendJsonAsync(HttpMethod.Delete, $"/api/v1/conversations/{id}", null, ct)));
        return endpoints;
    }

    private static async Task<IResult> RenderMarkdownAsync(HttpContext context)
    {
        var body = await JsonSerializer.DeserializeAsync<MarkdownRequest>(context.Request.Body, RagApiClient.Json, context.RequestAborted);
        var html = Markdown.ToHtml(body?.Text ?? string.Empty, SafeMarkdown);
        return Results.Content(html, "text/html; charset=utf-8");
    }

    /// <summary>The same rendering for server-side pages.</summary>
    public static string ToSafeHtml(string markdown) => Markdown.ToHtml(markdown, SafeMarkdown);

    private static async Task<IResult> FormActionAsync(HttpContext context, string returnPath, string doneMessage, Func<CancellationToken, Task> action)
    {
        string message;
        try
        {
            await action(context.RequestAborted);
            message = doneMessage;
        }
        catch (ApiProblemException problem) when (problem.IsUnauthorized)
        {
            return Results.Redirect(Auth.WebAuthentication.SignInUrl(returnPath));
        }
        catch (ApiProblemException problem)
        {
            message = problem.Detail is null ? problem.Title : $"{problem.Title}. {problem.Detail}";
        }
        catch (HttpRequestException)
        {
            message = ServiceMessages.Unavailable;
        }

        // Back to where the form was (a local path only), with the outcome shown there.
        var from = context.Request.HasFormContentType ? (await context.Request.ReadFormAsync(context.RequestAborted))["return_url"].ToString() : string.Empty;
        var target = from.StartsWith('/') && !from.StartsWith("//", StringComparison.Ordinal) ? from : returnPath;
        var separator = target.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        return Results.Redirect($"{target}{separator}notice={Uri.EscapeDataString(message)}");
    }

    private sealed record MarkdownRequest(string? Text);
}
