using Rag.Api;
using Rag.Api.Answers;
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

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapDefaultEndpoints();
app.MapDocumentsApi();
app.MapJobsApi();
app.MapSearchApi();
app.MapIndexAdminApi();
app.MapStatsApi();
app.MapWebhooksApi();
app.MapAnswersApi();
app.MapConversationsApi();

app.Run();
