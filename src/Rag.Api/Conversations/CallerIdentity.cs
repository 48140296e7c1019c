using System.Security.Claims;

namespace Rag.Api.Conversations;

internal static class CallerIdentity
{
    /// <summary>The signed-in user's id (the "sub" claim), which owns the conversations they start.</summary>
    public static Guid? GetUserId(this ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier) ?? user.FindFirstValue("sub"), out var id)
            ? id
            : null;
}
