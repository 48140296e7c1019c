using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Rag.Web.Api;

namespace Rag.Web.AppApi;

/// <summary>
/// Passes one browser request through to the API and its answer back, bodies streamed both ways without buffering,
/// so uploads and server-sent events flow as they are produced. The browser's disconnect cancels the upstream call.
/// </summary>
internal static partial class ApiProxy
{
    public static async Task ForwardAsync(HttpContext context, HttpMethod method, string apiPath, bool forwardBody)
    {
        ArgumentNullException.ThrowIfNull(context);
        var api = context.RequestServices.GetRequiredService<RagApiClient>();
        var cancellationToken = context.RequestAborted;
        using var request = new HttpRequestMessage(method, apiPath);
        if (forwardBody)
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            {
                // The API enforces its own upload limits and says which file broke them.
                bodySize.MaxRequestBodySize = null;
            }

            request.Content = new StreamContent(context.Request.Body);
            if (context.Request.ContentType is { } contentType)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        if (context.Request.Headers.Accept.ToString() is { Length: > 0 } accept)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        HttpResponseMessage response;
        try
        {
            response = await api.SendStreamingAsync(request, cancellationToken);
        }
        catch (HttpRequestException error)
        {
            Log.ApiUnreachable(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ApiProxy)), apiPath, error.Message);
            await Results.Problem(title: "The service is unavailable", detail: ServiceMessages.Unavailable, statusCode: StatusCodes.Status503ServiceUnavailable)
                .ExecuteAsync(context);
            return;
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            if (response.Content.Headers.ContentType is { } type)
            {
                context.Response.ContentType = type.ToString();
            }

            if (response.StatusCode == HttpStatusCode.NoContent)
            {
                return;
            }

            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            context.Response.Headers.CacheControl = "no-store";
            await using var upstream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[16 * 1024];
            int read;
            try
            {
                while ((read = await upstream.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), cancellationToken);

                    // Each server-sent event reaches the browser as soon as the API wrote it.
                    await context.Response.Body.FlushAsync(cancellationToken);
                }
            }
            catch (Exception error) when (error is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
            {
                // The API went away mid-stream; the headers are sent, so ending the body is all that can tell the browser.
                Log.ApiUnreachable(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ApiProxy)), apiPath, error.Message);
                context.Abort();
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "The API could not be reached for {Path}: {Reason}")]
        public static partial void ApiUnreachable(ILogger logger, string path, string reason);
    }
}
