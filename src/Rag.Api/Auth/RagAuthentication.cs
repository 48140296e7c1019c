using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Rag.Core.Identity;

namespace Rag.Api.Auth;

/// <summary>
/// One scheme for people and programs: "Authorization: Bearer &lt;token&gt;" carries either a JWT from /api/v1/auth/token
/// or an API key ("rag_…"). The user or key behind it is re-read when the <see cref="CallerCache"/> entry has expired
/// (after a few seconds), or at once on this replica when an admin disables the user, changes their role or revokes the key.
/// </summary>
internal sealed partial class RagAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    JwtTokens tokens,
    UserStore users,
    ApiKeyStore apiKeys,
    CallerCache callers,
    AuditTrail audit,
    IProblemDetailsService problemDetails)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "Rag";
    public const string ApiKeyIdClaim = "api_key_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length > 4096)
        {
            return AuthenticateResult.Fail("Only Bearer credentials are accepted.");
        }

        var credential = header["Bearer ".Length..].Trim();
        Caller? caller;
        if (ApiKeySecrets.LooksLikeKey(credential))
        {
            var recordedUse = false;
            caller = await callers.GetOrLookUpAsync(
                "key:" + Convert.ToBase64String(ApiKeySecrets.HashKey(credential)),
                async cancellationToken =>
                {
                    var key = await apiKeys.AuthenticateAsync(credential, cancellationToken);
                    recordedUse = key is { RecordedUse: true };
                    return key?.Caller;
                },
                Context.RequestAborted);
            if (recordedUse)
            {
                // Throttled with last_used_at: one audit row per key per minute of use, not one per request.
                await audit.WriteAsync(Context, caller!.AuditName, "api_key.used", caller.ApiKeyId.ToString());
            }
        }
        else
        {
            caller = tokens.Validate(credential) is { } userId
                ? await callers.GetOrLookUpAsync(
                    "user:" + userId,
                    async cancellationToken => await users.GetAsync(userId, cancellationToken) is { DisabledAt: null } user
                        ? new Caller(user.Id, user.UserName, user.Role, null)
                        : null,
                    Context.RequestAborted)
                : null;
        }

        if (caller is null)
        {
            Log.Rejected(Logger, ApiKeySecrets.LooksLikeKey(credential) ? "api key" : "token");
            return AuthenticateResult.Fail("The credential is invalid, expired or revoked.");
        }

        var claims = new List<Claim>
        {
            new("sub", caller.UserId.ToString()),
            new("name", caller.UserName),
            new("role", caller.Role),
        };
        if (caller.ApiKeyId is { } keyId)
        {
            claims.Add(new(ApiKeyIdClaim, keyId.ToString()));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName, "name", "role"));
        Context.Items[typeof(Caller)] = caller;
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
        await problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = 401, Title = "Unauthorized", Detail = "Sign in (POST /api/v1/auth/token) or send an API key as a Bearer credential." },
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = 403, Title = "Forbidden", Detail = "Your role does not allow this." },
        });
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Rejected an invalid {CredentialKind}")]
        public static partial void Rejected(ILogger logger, string credentialKind);
    }
}

public static class CallerExtensions
{
    /// <summary>The authenticated caller; endpoints behind an authorization policy always have one.</summary>
    public static Caller GetCaller(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items[typeof(Caller)] as Caller ?? throw new InvalidOperationException("The request is not authenticated.");
    }
}
