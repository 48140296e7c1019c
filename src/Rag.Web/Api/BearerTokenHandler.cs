using System.Net.Http.Headers;
using Rag.Web.Auth;

namespace Rag.Web.Api;

/// <summary>
/// Adds the signed-in user's API token, kept server-side in the encrypted auth cookie, to every call to the API.
/// Without a token the call goes anonymously, which an API without authentication accepts.
/// </summary>
internal sealed class BearerTokenHandler(IHttpContextAccessor httpContextAccessor) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Headers.Authorization is null && httpContextAccessor.HttpContext?.User.FindFirst(WebClaims.AccessToken)?.Value is { Length: > 0 } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
