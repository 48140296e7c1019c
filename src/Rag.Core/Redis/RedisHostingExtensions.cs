using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rag.Core.Redis;

namespace Microsoft.Extensions.Hosting;

public static class RedisHostingExtensions
{
    /// <summary>
    /// Registers <see cref="IRedisClient"/> as a singleton for the connection string <c>ConnectionStrings:{connectionName}</c>,
    /// the "Redis" options section, and a health check named "redis". Telemetry goes to the ActivitySource and Meter
    /// named <see cref="RedisTelemetry.Name"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The connection string is missing or malformed.</exception>
    public static TBuilder AddRedisClient<TBuilder>(this TBuilder builder, string connectionName)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(connectionName);

        var connectionString = builder.Configuration.GetConnectionString(connectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"Redis connection string 'ConnectionStrings:{connectionName}' is missing. Set it (for example 'localhost:6379,password=...') or run under the AppHost, which provides it.");
        }

        RedisConnectionString target;
        try
        {
            target = RedisConnectionString.Parse(connectionString);
        }
        catch (FormatException exception)
        {
            throw new InvalidOperationException($"Redis connection string 'ConnectionStrings:{connectionName}' is invalid: {exception.Message}", exception);
        }

        builder.Services.AddOptions<RedisClientOptions>()
            .BindConfiguration(RedisClientOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(options => options.ReconnectMaxDelay >= options.ReconnectBaseDelay, "Redis:ReconnectMaxDelay must not be less than Redis:ReconnectBaseDelay.")
            .ValidateOnStart();

        builder.Services.AddSingleton<IRedisClient>(services => new RedisClient(
            target,
            services.GetRequiredService<IOptions<RedisClientOptions>>().Value,
            services.GetRequiredService<ILoggerFactory>().CreateLogger<IRedisClient>()));

        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis");
        return builder;
    }
}
