using System.Globalization;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Rag.Core.Identity;
using Rag.Core.Redis;
using Rag.Core.Security;

namespace Rag.Api.Auth;

/// <summary>
/// Per-caller request limit across replicas; over it the answer is 429 with Retry-After. While Redis is unreachable the
/// limit is not enforced: the API keeps serving (uploads are designed to outlive a Redis outage) rather than fail every call.
/// </summary>
internal sealed partial class RateLimitingMiddleware(
    RequestDelegate next, DistributedRateLimiter limiter, IOptions<RateLimitOptions> options, IProblemDetailsService problemDetails, ILogger<RateLimitingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        // Probes and the sign-in endpoint (which has its own limits) are not counted here.
        if (!context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
            || context.Request.Path.StartsWithSegments(AuthApi.TokenPath, StringComparison.OrdinalIgnoreCase))
        {
            await next(context);
            return;
        }

        var key = context.Items[typeof(Caller)] is Caller caller
            ? caller.ApiKeyId is { } keyId ? "key:" + keyId : "user:" + caller.UserId
            : "ip:" + ClientAddress.Of(context);
        var limits = options.Value;
        RateLimitDecision decision;
        try
        {
            decision = await limiter.HitAsync("api:" + key, limits.PermitsPerWindow, limits.Window, context.RequestAborted);
        }
        catch (RedisException error)
        {
            Log.LimitUnavailable(logger, error.Message);
            await next(context);
            return;
        }

        if (!decision.IsAllowed)
        {
            await WriteTooManyRequestsAsync(context, problemDetails, decision.RetryAfter, "Too many requests; try again later.");
            return;
        }

        await next(context);
    }

    public static async Task WriteTooManyRequestsAsync(HttpContext context, IProblemDetailsService problemDetails, TimeSpan retryAfter, string detail)
    {
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers[HeaderNames.RetryAfter] = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = 429, Title = "Too many requests", Detail = detail },
        });
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limit not enforced: Redis is unavailable ({Reason})")]
        public static partial void LimitUnavailable(ILogger logger, string reason);
    }
}

internal static class ClientAddress
{
    public static string Of(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
