using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;

namespace Rag.ServiceDefaults.Telemetry;

internal static class TracingSuppression
{
    // Probes hit these endpoints every few seconds; their spans would drown the real traffic. Un-recording the
    // server activity keeps it (and every child, through the parent-based sampler) out of the exporters.
    public static TBuilder SuppressTracing<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            var next = endpoint.RequestDelegate;
            if (next is null)
            {
                return;
            }

            endpoint.RequestDelegate = context =>
            {
                if (context.Features.Get<IHttpActivityFeature>()?.Activity is { } activity)
                {
                    activity.IsAllDataRequested = false;
                    activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
                }

                return next(context);
            };
        });

        return builder;
    }
}
