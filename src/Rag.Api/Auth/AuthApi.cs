using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Rag.Core.Identity;
using Rag.Core.Redis;
using Rag.Core.Security;

namespace Rag.Api.Auth;

public sealed record TokenRequest(string? UserName, string? Password);

public sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn, string UserName, string Role);

public sealed record MeResponse(Guid UserId, string UserName, string Role, Guid? ApiKeyId);

public static class AuthApi
{
    public const string TokenPath = "/api/v1/auth/token";
    public const string MeterName = "Rag.Api.Auth";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> SignIns = Meter.CreateCounter<long>("rag.auth.sign_ins", description: "Sign-in attempts by outcome (success, failure, throttled).");

    public static RouteGroupBuilder MapAuthApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v1/auth").WithTags("Auth");
        group.MapPost("/token", TokenAsync).AllowAnonymous().WithName("SignIn").WithSummary("Exchanges a user name and password for a short-lived bearer token.");
        group.MapGet("/me", Me).RequireReader().WithName("GetMe");
        return group;
    }

    public static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> TokenAsync(
        TokenRequest request,
        HttpContext context,
        UserStore users,
        JwtTokens tokens,
        DistributedRateLimiter limiter,
        AuditTrail audit,
        BootstrapAdminService bootstrap,
        IOptions<RateLimitOptions> rateLimits,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.UserName) || string.IsNullOrEmpty(request.Password) || request.UserName.Length > 256 || request.Password.Length > 1024)
        {
            return TypedResults.Problem(title: "Invalid sign-in", detail: "user_name and password are required.", statusCode: StatusCodes.Status400BadRequest);
        }

        var limits = rateLimits.Value;
        var address = ClientAddress.Of(context);
        var accountKey = "login-failures:" + request.UserName.ToLowerInvariant();
        RateLimitDecision perAddress;
        long failures;
        try
        {
            perAddress = await limiter.HitAsync("login-ip:" + address, limits.LoginPermitsPerWindow, limits.LoginWindow, cancellationToken);
            failures = await limiter.PeekAsync(accountKey, cancellationToken);
        }
        catch (RedisException)
        {
            // Unlike other calls, sign-in is not served without its limits: unbounded password guessing is what they prevent.
            return TypedResults.Problem(title: "Sign-in unavailable", detail: "Sign-in is temporarily unavailable; try again shortly.",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        if (!perAddress.IsAllowed || failures >= limits.MaxLoginFailures)
        {
            SignIns.Add(1, new KeyValuePair<string, object?>("outcome", "throttled"));
            await audit.WriteAsync(context, request.UserName, "login.throttled", null);
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling((perAddress.IsAllowed ? limits.LockoutWindow : perAddress.RetryAfter).TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Problem(title: "Too many requests", detail: "Too many sign-in attempts; try again later.", statusCode: StatusCodes.Status429TooManyRequests);
        }

        await bootstrap.WaitUntilDoneAsync(cancellationToken);
        if (await users.VerifyPasswordAsync(request.UserName, request.Password, cancellationToken) is not { } user)
        {
            await limiter.HitAsync(accountKey, int.MaxValue, limits.LockoutWindow, cancellationToken);
            SignIns.Add(1, new KeyValuePair<string, object?>("outcome", "failure"));
            await audit.WriteAsync(context, request.UserName, "login.failed", null);
            return TypedResults.Problem(title: "Unauthorized", detail: "The user name or password is wrong, or the account is disabled.", statusCode: StatusCodes.Status401Unauthorized);
        }

        await limiter.ResetAsync(accountKey, cancellationToken);
        SignIns.Add(1, new KeyValuePair<string, object?>("outcome", "success"));
        await audit.WriteAsync(context, user.UserName, "login.succeeded", user.Id.ToString());
        var token = tokens.Issue(user);
        return TypedResults.Ok(new TokenResponse(token.AccessToken, "Bearer", (int)token.ExpiresIn.TotalSeconds, user.UserName, user.Role));
    }

    public static Ok<MeResponse> Me(HttpContext context)
    {
        var caller = context.GetCaller();
        return TypedResults.Ok(new MeResponse(caller.UserId, caller.UserName, caller.Role, caller.ApiKeyId));
    }
}
