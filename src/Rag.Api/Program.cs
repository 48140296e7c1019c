using Rag.Api;
using Rag.Api.Admin;
using Rag.Api.Answers;
using Rag.Api.Auth;
using Rag.Api.Conversations;
using Rag.Api.Documents;
using Rag.Api.Index;
using Rag.Api.Jobs;
using Rag.Api.Search;
using Rag.Api.Stats;
using Rag.Api.Webhooks;
using Rag.Core;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRedisClient(ResourceNames.Cache);
builder.AddRagDatabase(ResourceNames.Database);
builder.AddRagModels();
builder.AddDocumentIngestion();
builder.AddVectorSearch();
builder.AddRagAnswers();
builder.AddApiServices();
builder.AddStats();
builder.AddWebhooksApi();
builder.AddApiSecurity();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseApiSecurity();

app.MapDefaultEndpoints();
app.MapAuthApi();
app.MapDocumentsApi().RequireReader();
app.MapJobsApi().RequireReader();
app.MapSearchApi().RequireReader();
app.MapAnswersApi().RequireReader();
app.MapConversationsApi().RequireReader();
app.MapStatsApi().RequireReader();
app.MapWebhooksApi().RequireEditor();
app.MapAdminApi();
app.MapIndexAdminApi().RequireAdmin();

app.Run();
