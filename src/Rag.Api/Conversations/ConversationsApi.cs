using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Rag.Core.Conversations;

namespace Rag.Api.Conversations;

public sealed record ConversationResponse(Guid Id, string Title, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <param name="Sources">The numbered sources an assistant message was given (null for questions).</param>
public sealed record MessageResponse(Guid Id, string Role, string Content, JsonElement? Sources, DateTimeOffset CreatedAt);

public sealed record ConversationDetailResponse(Guid Id, string Title, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlyList<MessageResponse> Messages);

public sealed record ConversationListResponse(IReadOnlyList<ConversationResponse> Conversations);

public sealed record RenameConversationRequest(string? Title);

public static class ConversationsApi
{
    private const int MaxListed = 100;

    public static RouteGroupBuilder MapConversationsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v1/conversations").WithTags("Conversations");
        group.MapGet("/", ListAsync).WithName("ListConversations").WithSummary("The caller's conversations, most recently active first.");
        group.MapGet("/{id:guid}", GetAsync).WithName("GetConversation").WithSummary("A conversation with its messages.");
        group.MapPatch("/{id:guid}", RenameAsync).WithName("RenameConversation").WithSummary("Renames a conversation.");
        group.MapDelete("/{id:guid}", DeleteAsync).WithName("DeleteConversation").WithSummary("Deletes a conversation and its messages.");
        return group;
    }

    public static async Task<Ok<ConversationListResponse>> ListAsync(HttpContext context, ConversationStore store, int? limit, CancellationToken cancellationToken)
    {
        var conversations = await store.ListAsync(context.User.GetUserId(), Math.Clamp(limit ?? MaxListed, 1, MaxListed), cancellationToken);
        return TypedResults.Ok(new ConversationListResponse([.. conversations.Select(ToResponse)]));
    }

    public static async Task<Results<Ok<ConversationDetailResponse>, NotFound>> GetAsync(
        Guid id, HttpContext context, ConversationStore store, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(id, context.User.GetUserId(), cancellationToken) is not { } conversation)
        {
            return TypedResults.NotFound();
        }

        var summary = conversation.Summary;
        return TypedResults.Ok(new ConversationDetailResponse(
            summary.Id, summary.Title, summary.CreatedAt, summary.UpdatedAt,
            [.. conversation.Messages.Select(m => new MessageResponse(
                m.Id, m.Role, m.Content, m.SourcesJson is null ? null : JsonSerializer.Deserialize<JsonElement>(m.SourcesJson), m.CreatedAt))]));
    }

    public static async Task<Results<Ok<ConversationResponse>, NotFound, ValidationProblem>> RenameAsync(
        Guid id, RenameConversationRequest request, HttpContext context, ConversationStore store, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Title) || request.Title.Length > ConversationStore.MaxTitleLength)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["title"] = [$"A title of 1 to {ConversationStore.MaxTitleLength} characters is required."],
            });
        }

        return await store.RenameAsync(id, context.User.GetUserId(), request.Title, cancellationToken) is { } renamed
            ? TypedResults.Ok(ToResponse(renamed))
            : TypedResults.NotFound();
    }

    public static async Task<Results<NoContent, NotFound>> DeleteAsync(Guid id, HttpContext context, ConversationStore store, CancellationToken cancellationToken) =>
        await store.DeleteAsync(id, context.User.GetUserId(), cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound();

    private static ConversationResponse ToResponse(ConversationSummary summary) => new(summary.Id, summary.Title, summary.CreatedAt, summary.UpdatedAt);
}
