using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Rag.Core.VectorIndex;

namespace Rag.Api.Auth;

/// <summary>Marks an endpoint that sets its own, larger request body limit (uploads).</summary>
public sealed class LargeRequestBodyMetadata;

/// <summary>
/// Response headers that keep browsers from sniffing, framing or leaking referrers, and the small default body limit:
/// JSON bodies are at most <see cref="MaxJsonBodyBytes"/>; endpoints with <see cref="LargeRequestBodyMetadata"/> set their own.
/// </summary>
internal sealed class RequestHardeningMiddleware(RequestDelegate next, IProblemDetailsService problemDetails)
{
    public const long MaxJsonBodyBytes = 1024 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";

        if (context.GetEndpoint()?.Metadata.GetMetadata<LargeRequestBodyMetadata>() is null)
        {
            if (context.Request.ContentLength > MaxJsonBodyBytes)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                await problemDetails.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = { Status = 413, Title = "Request body too large", Detail = $"Request bodies are limited to {MaxJsonBodyBytes / 1024} KB." },
                });
                return;
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            {
                bodySize.MaxRequestBodySize = MaxJsonBodyBytes;
            }
        }

        await next(context);
    }
}

/// <summary>
/// Known client errors become their status; anything else is a plain 500. Either way the response is problem details with
/// the request id, and the log line names only the exception type, so no SQL, data or secret is written anywhere.
/// </summary>
internal sealed partial class SafeExceptionHandler(IProblemDetailsService problemDetails, ILogger<SafeExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, "Bad request"),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => (499, "Client closed request"),
            VectorIndexNotReadyException => (StatusCodes.Status503ServiceUnavailable, "The search index is still loading"),
            _ => (StatusCodes.Status500InternalServerError, "An unexpected error occurred"),
        };
        if (status == StatusCodes.Status500InternalServerError)
        {
            Log.Unhandled(logger, exception.GetType().FullName ?? exception.GetType().Name, httpContext.TraceIdentifier);
        }

        httpContext.Response.StatusCode = status;
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            // A replica loads its index in seconds; readiness keeps balancers away meanwhile, this tells direct callers when to retry.
            httpContext.Response.Headers.RetryAfter = "5";
        }

        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = { Status = status, Title = title },
        });
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled {ExceptionType} in request {RequestId}")]
        public static partial void Unhandled(ILogger logger, string exceptionType, string requestId);
    }
}

public static class RequestBodyConventions
{
    public static TBuilder AllowLargeRequestBody<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new LargeRequestBodyMetadata());
}
