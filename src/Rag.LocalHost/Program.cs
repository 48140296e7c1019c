using System.CommandLine;
using System.Runtime.InteropServices;
using Rag.LocalHost;

// Runs the whole Rag system on this machine without Docker: see README "Run it".
var dataOption = new Option<DirectoryInfo>("--data")
{
    Description = "Folder for Redis and PostgreSQL data, logs and generated local secrets.",
    DefaultValueFactory = _ => new DirectoryInfo(".localgraph"),
};
var webPortOption = new Option<int>("--web-port") { Description = "Port of the web app.", DefaultValueFactory = _ => 7100 };
var apiPortOption = new Option<int>("--api-port") { Description = "Port of the HTTP API.", DefaultValueFactory = _ => 7101 };
var workersOption = new Option<int>("--workers") { Description = "Ingestion worker replicas.", DefaultValueFactory = _ => 1 };
var quietOption = new Option<bool>("--quiet") { Description = "Do not echo the services' logs (they are always written to <data>/logs)." };

var root = new RootCommand("Runs Rag (Redis, PostgreSQL, Api, Ingestion, Web) as local processes.")
{
    dataOption, webPortOption, apiPortOption, workersOption, quietOption,
};
root.SetAction(async (parse, cancellationToken) =>
{
    // Lives as long as the process: a second Ctrl+C may arrive while the graph is shutting down.
    var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
    using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });

    await LocalPackages.EnsureInstalledAsync(Console.WriteLine, stop.Token);

    var quiet = parse.GetValue(quietOption);
    var options = new LocalGraphOptions
    {
        DataDirectory = parse.GetValue(dataOption)!.FullName,
        WebPort = parse.GetValue(webPortOption),
        ApiPort = parse.GetValue(apiPortOption),
        IngestionReplicas = parse.GetValue(workersOption),
        Output = quiet ? null : (name, line) => Console.WriteLine($"{name,-12}| {line}"),
    };

    Console.WriteLine($"Starting Redis, PostgreSQL and the services (data in {options.DataDirectory})...");
    await using var graph = await LocalGraph.StartAsync(options, stop.Token);

    Console.WriteLine();
    Console.WriteLine($"  Web app     {graph.Web.Url}");
    Console.WriteLine($"  API         {graph.Api.Url}  (OpenAPI: {graph.Api.Url}openapi/v1.json)");
    foreach (var worker in graph.Ingestion)
    {
        Console.WriteLine($"  Ingestion   {worker.Url}health");
    }

    Console.WriteLine($"  Sign in as  admin / {graph.Secrets.AdminPassword}");
    Console.WriteLine($"  Logs        {Path.Combine(options.DataDirectory, "logs")}");
    Console.WriteLine();
    Console.WriteLine("Press Ctrl+C to stop.");

    try
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
    catch (OperationCanceledException)
    {
        Console.WriteLine("Stopping...");
    }

    return 0;
});

// Ctrl+C and SIGTERM are handled above: the graph needs longer than System.CommandLine's default grace to stop cleanly.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
