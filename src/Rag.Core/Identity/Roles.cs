namespace Rag.Core.Identity;

/// <summary>What a user may do. Admins may do everything; editors change documents; readers only read.</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Editor = "editor";
    public const string Reader = "reader";

    public static bool IsValid(string? role) => role is Admin or Editor or Reader;
}

/// <summary>Who is calling: a signed-in user, or a program holding one of that user's API keys.</summary>
public sealed record Caller(Guid UserId, string UserName, string Role, Guid? ApiKeyId)
{
    public bool IsAdmin => Role == Roles.Admin;

    /// <summary>How the audit log names the caller.</summary>
    public string AuditName => ApiKeyId is { } keyId ? $"{UserName} (key {keyId})" : UserName;
}
