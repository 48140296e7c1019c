using System.Globalization;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Rag.Core.Identity;
using Rag.Core.Security;

namespace Rag.Api.Auth;

/// <summary>Per-caller request limit across replicas; over it the answer is 429 with Retry-After.</summary>
internal sealed class RateLimitingMiddleware(RequestDelegate next, DistributedRateLimiter limiter, IOptions<RateLimitOptions> options, IProblemDetailsService problemDetails)
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
        var decision = await limiter.HitAsync("api:" + key, limits.PermitsPerWindow, limits.Window, context.RequestAborted);
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
}

internal static class ClientAddress
{
    public static string Of(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
