using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;
using Npgsql;
using Rag.Core.Identity;
using Rag.Core.Security;

namespace Rag.Api.Auth;

/// <summary>Who may call (authentication, roles), how often (rate limits), from where (CORS), and safe errors.</summary>
public static class SecurityServices
{
    public static WebApplicationBuilder AddApiSecurity(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName)
            .Validate(o => o.PermitsPerWindow > 0 && o.LoginPermitsPerWindow > 0 && o.MaxLoginFailures > 0
                && o.Window > TimeSpan.Zero && o.LoginWindow > TimeSpan.Zero && o.LockoutWindow > TimeSpan.Zero, "RateLimits values must be positive.")
            .ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<JwtTokens>();
        services.AddSingleton<UserStore>();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<CallerCache>();
        services.AddSingleton(sp => new CollectionAccessStore(
            sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<AuthOptions>>().Value.CallerCacheLifetime));
        services.AddSingleton<AuditLog>();
        services.AddSingleton<AuditTrail>();
        services.AddSingleton<DistributedRateLimiter>();
        services.AddSingleton<BootstrapAdminService>();
        services.AddHostedService(sp => sp.GetRequiredService<BootstrapAdminService>());

        services.AddAuthentication(RagAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, RagAuthenticationHandler>(RagAuthenticationHandler.SchemeName, null);
        services.AddAuthorization(AuthorizationConventions.AddRolePolicies);

        // Browsers may call the API only from the origins listed in "Cors": { "AllowedOrigins": [ "https://…" ] }.
        var origins = builder.Configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [];
        services.AddCors(options => options.AddDefaultPolicy(policy => policy
            .WithOrigins(origins)
            .WithMethods("GET", "POST", "PUT", "DELETE")
            .WithHeaders("Authorization", "Content-Type")));

        services.AddExceptionHandler<SafeExceptionHandler>();
        services.Configure<ExceptionHandlerOptions>(options => options.SuppressDiagnosticsCallback = _ => true);
        services.AddHsts(options => options.MaxAge = TimeSpan.FromDays(365));
        return builder;
    }

    /// <summary>Between the exception handler and the endpoints.</summary>
    public static WebApplication UseApiSecurity(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // HSTS only tells browsers anything over TLS, and the middleware adds it only to HTTPS responses.
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        app.UseMiddleware<RequestHardeningMiddleware>();
        app.UseCors();
        app.UseAuthentication();
        app.UseMiddleware<RateLimitingMiddleware>();
        app.UseAuthorization();
        return app;
    }
}
