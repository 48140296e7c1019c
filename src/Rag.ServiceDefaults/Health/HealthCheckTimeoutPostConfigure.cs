using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Rag.ServiceDefaults.Health;

// Gives every check a timeout so /health answers within seconds when a dependency hangs. Runs after all
// registrations, so it also covers checks added after AddServiceDefaults.
internal sealed class HealthCheckTimeoutPostConfigure(IOptions<HealthCheckDefaultsOptions> defaults)
    : IPostConfigureOptions<HealthCheckServiceOptions>
{
    public void PostConfigure(string? name, HealthCheckServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        foreach (var registration in options.Registrations)
        {
            if (registration.Timeout == Timeout.InfiniteTimeSpan)
            {
                registration.Timeout = defaults.Value.DefaultTimeout;
            }

            // The framework only cancels the check's token at the timeout; a check that ignores its token would
            // still hang the endpoint, so the wait itself is bounded too.
            var createCheck = registration.Factory;
            var timeout = registration.Timeout;
            registration.Factory = services => new TimeBoundHealthCheck(createCheck(services), timeout);
        }
    }
}
