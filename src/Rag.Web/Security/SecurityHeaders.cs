using Microsoft.AspNetCore.Antiforgery;

namespace Rag.Web.Security;

internal static class SecurityHeaders
{
    // Scripts only from files of this origin (no inline script), no framing, no plugins; fetches only to this origin,
    // which proxies the API (the browser never talks to the API itself).
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
        return next(context);
    });

    /// <summary>
    /// Checks the antiforgery token (form field or RequestVerificationToken header) on endpoints that do not bind forms,
    /// which UseAntiforgery leaves alone.
    /// </summary>
    public static TBuilder RequireAntiforgery<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (invocation, next) =>
        {
            var context = invocation.HttpContext;
            if (HttpMethods.IsPost(context.Request.Method) || HttpMethods.IsDelete(context.Request.Method) || HttpMethods.IsPut(context.Request.Method))
            {
                var antiforgery = context.RequestServices.GetRequiredService<IAntiforgery>();
                if (!await antiforgery.IsRequestValidAsync(context))
                {
                    return Results.Problem(
                        title: "This page has expired",
                        detail: "Reload the page and try again.",
                        statusCode: StatusCodes.Status400BadRequest);
                }
            }

            return await next(invocation);
        });
}
