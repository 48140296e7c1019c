using Rag.Core;
using Rag.Ingestion;
using Rag.Core.Webhooks;
using Rag.Ingestion.Jobs;
using Rag.Ingestion.Webhooks;

if (args is [IndexRebuildCommand.Name, ..])
{
    return await IndexRebuildCommand.RunAsync(args[1..]);
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRedisClient(ResourceNames.Cache);
builder.AddRagDatabase(ResourceNames.Database);
builder.AddRagModels();
builder.AddDocumentIngestion();
builder.Services.AddHostedService<IngestionWorker>();
builder.Services.AddHostedService<JobSweeper>();
builder.AddWebhooks();
builder.Services.AddHostedService<WebhookSender>();

var app = builder.Build();

// The worker serves only its health endpoints.
app.MapDefaultEndpoints();

await app.RunAsync();
return 0;
