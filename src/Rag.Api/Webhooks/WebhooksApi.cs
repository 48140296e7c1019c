using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Rag.Core.Webhooks;

namespace Rag.Api.Webhooks;

/// <summary>
/// Registering webhooks and reading their delivery history. Once authentication lands (wip/security), the group is
/// for editors and admins (<c>RequireEditor()</c>) and <see cref="OwnerOf"/> reads the caller's id from its "sub"
/// claim; until then every webhook is ownerless and visible to every caller.
/// </summary>
internal static class WebhooksApi
{
    private const int MaxDeliveries = 200;

    public static WebApplicationBuilder AddWebhooksApi(this WebApplicationBuilder builder)
    {
        builder.AddWebhooks();
        return builder;
    }

    public static RouteGroupBuilder MapWebhooksApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup("/api/v1/webhooks").WithTags("Webhooks");
        group.MapPost("/", RegisterAsync).WithName("RegisterWebhook").WithSummary("Registers an endpoint for document events; the answer holds its signing secret, shown only once.");
        group.MapGet("/", ListAsync).WithName("ListWebhooks");
        group.MapGet("/{id:guid}", GetAsync).WithName("GetWebhook");
        group.MapDelete("/{id:guid}", DeleteAsync).WithName("DeleteWebhook");
        group.MapGet("/{id:guid}/deliveries", ListDeliveriesAsync).WithName("ListWebhookDeliveries").WithSummary("The latest deliveries, newest first.");
        return group;
    }

    private static async Task<Results<Created<RegisteredWebhookResponse>, ProblemHttpResult>> RegisterAsync(
        RegisterWebhookRequest request,
        ClaimsPrincipal user,
        WebhookStore webhooks,
        IOptions<WebhookOptions> options,
        CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var url))
        {
            return Problem("Invalid URL", "The URL must be absolute.");
        }

        if (await WebhookAddressPolicy.CheckAsync(url, options.Value, cancellationToken) is { } refusal)
        {
            return Problem("URL not allowed", refusal);
        }

        var events = request.Events?.Distinct(StringComparer.Ordinal).ToList() ?? [];
        if (events.Count == 0 || events.Except(WebhookEvents.All).Any())
        {
            return Problem("Invalid events", $"Subscribe to one or more of: {string.Join(", ", WebhookEvents.All)}.");
        }

        var secret = WebhookSignature.CreateSecret();
        var webhook = await webhooks.AddAsync(OwnerOf(user), url, events, secret, cancellationToken);
        return TypedResults.Created($"/api/v1/webhooks/{webhook.Id}", new RegisteredWebhookResponse(WebhookResponse.From(webhook), secret));
    }

    private static async Task<Ok<WebhookListResponse>> ListAsync(ClaimsPrincipal user, WebhookStore webhooks, CancellationToken cancellationToken) =>
        TypedResults.Ok(new WebhookListResponse([.. (await webhooks.ListAsync(OwnerOf(user), cancellationToken)).Select(WebhookResponse.From)]));

    private static async Task<Results<Ok<WebhookResponse>, NotFound>> GetAsync(Guid id, ClaimsPrincipal user, WebhookStore webhooks, CancellationToken cancellationToken) =>
        await FindOwnedAsync(id, user, webhooks, cancellationToken) is { } webhook ? TypedResults.Ok(WebhookResponse.From(webhook)) : TypedResults.NotFound();

    private static async Task<Results<NoContent, NotFound>> DeleteAsync(Guid id, ClaimsPrincipal user, WebhookStore webhooks, CancellationToken cancellationToken) =>
        await FindOwnedAsync(id, user, webhooks, cancellationToken) is not null && await webhooks.DeleteAsync(id, cancellationToken)
            ? TypedResults.NoContent()
            : TypedResults.NotFound();

    private static async Task<Results<Ok<DeliveryListResponse>, NotFound>> ListDeliveriesAsync(
        Guid id, ClaimsPrincipal user, WebhookStore webhooks, CancellationToken cancellationToken)
    {
        if (await FindOwnedAsync(id, user, webhooks, cancellationToken) is null)
        {
            return TypedResults.NotFound();
        }

        var deliveries = await webhooks.ListDeliveriesAsync(id, MaxDeliveries, cancellationToken);
        return TypedResults.Ok(new DeliveryListResponse(deliveries));
    }

    // Someone else's webhook answers 404, as if it did not exist.
    private static async Task<Webhook?> FindOwnedAsync(Guid id, ClaimsPrincipal user, WebhookStore webhooks, CancellationToken cancellationToken) =>
        await webhooks.GetAsync(id, cancellationToken) is { } webhook && (OwnerOf(user) is not { } owner || webhook.OwnerUserId == owner) ? webhook : null;

    /// <summary>The signed-in caller's user id, or null while the API has no authentication (and for admins, who see every webhook).</summary>
    private static Guid? OwnerOf(ClaimsPrincipal user) =>
        !user.IsInRole("admin") && Guid.TryParse(user.FindFirstValue("sub"), out var id) ? id : null;

    private static ProblemHttpResult Problem(string title, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: title, detail: detail);
}

internal sealed record RegisterWebhookRequest(string? Url, IReadOnlyList<string>? Events);

internal sealed record WebhookResponse(Guid Id, string Url, IReadOnlyList<string> Events, DateTimeOffset CreatedAt, bool Enabled)
{
    public static WebhookResponse From(Webhook webhook) => new(webhook.Id, webhook.Url, webhook.Events, webhook.CreatedAt, webhook.DisabledAt is null);
}

internal sealed record RegisteredWebhookResponse(WebhookResponse Webhook, string Secret);

internal sealed record WebhookListResponse(IReadOnlyList<WebhookResponse> Webhooks);

internal sealed record DeliveryListResponse(IReadOnlyList<WebhookDelivery> Deliveries);
