using System.Security.Claims;

namespace Rag.Api.Conversations;

internal static class CallerIdentity
{
    /// <summary>
    /// The signed-in user's id, which owns the conversations they start; null for an anonymous caller, whose
    /// conversations are shared by all anonymous callers until sign-in exists.
    /// </summary>
    public static Guid? GetUserId(this ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier) ?? user.FindFirstValue("sub"), out var id)
            ? id
            : null;
}
