using Rag.Api;
using Rag.Api.Admin;
using Rag.Api.Auth;
using Rag.Api.Documents;
using Rag.Api.Jobs;
using Rag.Api.Search;
using Rag.Core;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRedisClient(ResourceNames.Cache);
builder.AddRagDatabase(ResourceNames.Database);
builder.AddRagModels();
builder.AddDocumentIngestion();
builder.AddVectorSearch();
builder.AddApiServices();
builder.AddApiSecurity();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseApiSecurity();

app.MapDefaultEndpoints();
app.MapAuthApi();
app.MapAdminApi();
app.MapDocumentsApi().RequireReader();
app.MapJobsApi().RequireReader();
app.MapSearchApi().RequireReader();

app.Run();
