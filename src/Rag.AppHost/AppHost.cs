// Placeholder: the graph's resource names. The full AppHost is its own issue.
var builder = DistributedApplication.CreateBuilder(args);

var api = builder.AddProject<Projects.Rag_Api>("api");
builder.AddProject<Projects.Rag_Ingestion>("ingestion");
builder.AddProject<Projects.Rag_Web>("web").WithReference(api);

builder.Build().Run();
