using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Rag.Core.Webhooks;

public static class WebhookExtensions
{
    /// <summary>The webhook store and options; the database comes from <c>AddRagDatabase</c>.</summary>
    public static TBuilder AddWebhooks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<WebhookOptions>()
            .BindConfiguration(WebhookOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(options => options.InitialBackoff > TimeSpan.Zero && options.MaxBackoff >= options.InitialBackoff, "Webhooks:InitialBackoff must be positive and not above MaxBackoff.")
            .ValidateOnStart();
        builder.Services.AddSingleton<WebhookStore>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        return builder;
    }
}
