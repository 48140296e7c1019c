using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Rag.Web.Api;
using Rag.Web.Security;

namespace Rag.Web.Auth;

/// <summary>Claim types of the web app's own cookie principal.</summary>
internal static class WebClaims
{
    /// <summary>The API's bearer token; it lives only inside the encrypted cookie and never reaches the browser's scripts.</summary>
    public const string AccessToken = "rag:access_token";

    public const string AdminRole = "admin";
}

internal static class WebAuthentication
{
    public static WebApplicationBuilder AddWebAuthentication(this WebApplicationBuilder builder)
    {
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(options =>
            {
                options.Cookie.Name = "rag.session";
                options.Cookie.HttpOnly = true;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.Cookie.SameSite = SameSiteMode.Strict;
                options.LoginPath = "/signin";
                options.AccessDeniedPath = "/";

                // The cookie lives exactly as long as the API token inside it (see SignInAsync).
                options.SlidingExpiration = false;
            });
        builder.Services.AddAuthorization();
        return builder;
    }

    public static async Task SignInAsync(this HttpContext context, TokenResponse token)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(token);
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, token.UserName),
                new Claim(ClaimTypes.Role, token.Role),
                new Claim(WebClaims.AccessToken, token.AccessToken),
            ],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await context.SignInAsync(
            CookieAuthenticationDefaults.AuthenticationScheme,
            new ClaimsPrincipal(identity),
            new AuthenticationProperties { IsPersistent = false, ExpiresUtc = DateTimeOffset.UtcNow.AddSeconds(token.ExpiresIn) });
    }

    public static IEndpointRouteBuilder MapSignOut(this IEndpointRouteBuilder endpoints)
    {
        // A POST with the antiforgery token, so no other site can sign a user out.
        endpoints.MapPost("/signout", async (HttpContext context) =>
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.Redirect("/signin?signed_out=1");
        }).RequireAntiforgery();
        return endpoints;
    }

    /// <summary>Where a page sends the user when the API refused them (no token, or an expired one): sign-in, then back.</summary>
    public static string SignInUrl(string returnPath) => $"/signin?reason=unauthorized&return_url={Uri.EscapeDataString(returnPath)}";
}
