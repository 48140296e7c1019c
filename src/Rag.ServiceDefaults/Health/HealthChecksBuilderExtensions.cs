using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

// How a service adds its own checks with the tag the default endpoints expect. Without an explicit timeout the
// check gets HealthChecks:DefaultTimeout, so a dependency that hangs cannot hang /health.
public static class HealthChecksBuilderExtensions
{
    // For dependencies: reported by /health only. A failing dependency must not get the process restarted.
    public static IHealthChecksBuilder AddReadinessCheck<THealthCheck>(this IHealthChecksBuilder builder, string name, TimeSpan? timeout = null)
        where THealthCheck : class, IHealthCheck
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        return builder.AddCheck<THealthCheck>(name, failureStatus: null, tags: [HealthCheckTags.Ready], timeout: timeout);
    }

    // For the process itself: reported by /alive and /health.
    public static IHealthChecksBuilder AddLivenessCheck<THealthCheck>(this IHealthChecksBuilder builder, string name, TimeSpan? timeout = null)
        where THealthCheck : class, IHealthCheck
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        return builder.AddCheck<THealthCheck>(name, failureStatus: null, tags: [HealthCheckTags.Live], timeout: timeout);
    }
}
