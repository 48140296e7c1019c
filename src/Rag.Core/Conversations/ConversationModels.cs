namespace Rag.Core.Conversations;

public sealed record ConversationSummary(Guid Id, string Title, Guid? CollectionId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <param name="SourcesJson">The passages an assistant message was given, as JSON; null for user messages.</param>
public sealed record ConversationMessage(Guid Id, string Role, string Content, string? SourcesJson, DateTimeOffset CreatedAt);

public sealed record Conversation(ConversationSummary Summary, IReadOnlyList<ConversationMessage> Messages);

public static class MessageRoles
{
    public const string User = "user";
    public const string Assistant = "assistant";
}
