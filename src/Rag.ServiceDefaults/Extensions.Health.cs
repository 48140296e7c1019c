using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Rag.ServiceDefaults.Health;
using Rag.ServiceDefaults.Telemetry;

namespace Microsoft.Extensions.Hosting;

public static partial class Extensions
{
    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.Services.AddOptions<HealthCheckDefaultsOptions>()
            .BindConfiguration(HealthCheckDefaultsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(
            ServiceDescriptor.Singleton<IPostConfigureOptions<HealthCheckServiceOptions>, HealthCheckTimeoutPostConfigure>());

        // A liveness check that always passes: if the process can answer, it is alive.
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [HealthCheckTags.Live]);

        return builder;
    }

    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // See the comment at the top of Extensions.cs for why these are mapped in every environment, and open to
        // anonymous callers even when a service requires authentication by default.
        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions { ResponseWriter = HealthResponseWriter.WriteAsync })
            .AllowAnonymous()
            .SuppressTracing();

        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains(HealthCheckTags.Live),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        })
            .AllowAnonymous()
            .SuppressTracing();

        return app;
    }
}
