namespace Microsoft.Extensions.Hosting;

// The telemetry names every service listens to. Our own code names its ActivitySource and Meter "Rag.<Capability>"
// (e.g. "Rag.Ingestion") so the wildcard below picks it up without touching ServiceDefaults.
public static class RagTelemetry
{
    public const string NamePrefix = "Rag.";

    public const string SourceAndMeterPattern = NamePrefix + "*";

    // What ASP.NET Core, HttpClient and Npgsql already emit; the instrumentation packages cannot be restored here.
    public static IReadOnlyList<string> FrameworkActivitySources { get; } =
    [
        "Microsoft.AspNetCore",
        "System.Net.Http",
        "Npgsql",
    ];

    public static IReadOnlyList<string> FrameworkMeters { get; } =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "Microsoft.AspNetCore.RateLimiting",
        "Microsoft.AspNetCore.Http.Connections",
        "System.Net.Http",
        "System.Net.NameResolution",
        "System.Runtime",
        "Npgsql",
    ];
}
