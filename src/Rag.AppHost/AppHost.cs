// The Rag graph. Resource names are a contract: the services read ConnectionStrings:cache, ConnectionStrings:ragdb,
// ConnectionStrings:qdrant_http and services:api:http:0 (see Rag.Core's ResourceNames), and
// tests/Rag.Tests/Deployment checks this file and aspire-manifest.json against them.
using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);

// Exactly one compute environment, chosen by configuration ("aca" | "kubernetes" | "none"; --DeploymentTarget or
// the DeploymentTarget environment variable). With both present, every compute resource would have to be pinned
// with WithComputeEnvironment, yet a deployment only ever goes to one place. "aca" is the default because azd
// (`azd up`) runs the AppHost without extra arguments; `aspire publish` for Kubernetes passes "kubernetes"; "none"
// gives the target-neutral manifest committed as aspire-manifest.json. Run mode (dotnet run, tests) needs none.
if (builder.ExecutionContext.IsPublishMode)
{
    switch (builder.Configuration["DeploymentTarget"] ?? "aca")
    {
        case "aca":
            builder.AddAzureContainerAppEnvironment("aca");
            break;
        case "kubernetes":
            builder.AddKubernetesEnvironment("k8s");
            break;
        case "none":
            break;
        case var unknown:
            throw new InvalidOperationException($"DeploymentTarget '{unknown}' is not one of: aca, kubernetes, none.");
    }
}

// Model settings. Empty endpoint and model names mean the offline models (local embedder, extractive answerer),
// so these defaults are published and nobody has to answer a prompt to get a working system.
var aiEndpoint = builder.AddParameter("ai-endpoint", "", publishValueAsDefault: true);
var chatModel = builder.AddParameter("chat-model", "", publishValueAsDefault: true);
var embeddingModel = builder.AddParameter("embedding-model", "", publishValueAsDefault: true);
var aiKey = builder.AddParameter("ai-key", secret: true);

// Nobody needs to know the token signing key, so it is generated (and kept in user secrets in development);
// 64 characters is comfortably more than the 256 bits HMAC-SHA256 wants.
var jwtSigningKey = builder.AddParameter(
    "jwt-signing-key",
    new GenerateParameterDefault { MinLength = 64, Special = false },
    secret: true,
    persist: true);

// The first administrator signs in with this, so a person chooses it.
var adminPassword = builder.AddParameter("admin-password", secret: true);

var cache = builder.AddRedis("cache")
    .WithDataVolume();

// AddDatabase creates ragdb only when run locally; in deployed environments our migrations create it if missing.
var ragdb = builder.AddPostgres("postgres")
    .WithDataVolume()
    .AddDatabase("ragdb");

// The API key is Qdrant's generated "qdrant-Key" parameter; the services read it from ConnectionStrings:qdrant_http.
var qdrant = builder.AddQdrant("qdrant")
    .WithDataVolume();

// Both services prepare their stores when they start (migrations, the stream's consumer group, the vector
// collection), so each waits until the stores are healthy, not merely declared.
//
// Launch profiles are for `dotnet run` of a single project; here every service gets one plain HTTP endpoint that
// the AppHost and the deployment targets own (TLS is terminated by ACA's or the cluster's ingress).
var api = builder.AddProject<Projects.Rag_Api>("api", options => options.ExcludeLaunchProfile = true)
    .WithHttpEndpoint()
    .WithExternalHttpEndpoints()
    .WithReference(cache)
    .WithReference(ragdb)
    .WithReference(qdrant)
    .WithModelSettings(aiEndpoint, aiKey, chatModel, embeddingModel)
    .WithEnvironment("Auth__SigningKey", jwtSigningKey)
    .WithEnvironment("Auth__BootstrapAdminPassword", adminPassword)
    .WaitFor(cache)
    .WaitFor(ragdb)
    .WaitFor(qdrant)
    .WithHttpHealthCheck("/health");

// Replicas only shape local runs and the deployment targets (ACA minReplicas, Kubernetes Deployment replicas);
// the manifest has no field for them.
var ingestionReplicas = builder.Configuration.GetValue("Ingestion:Replicas", 1);

builder.AddProject<Projects.Rag_Ingestion>("ingestion", options => options.ExcludeLaunchProfile = true)
    .WithHttpEndpoint()
    .WithReference(cache)
    .WithReference(ragdb)
    .WithReference(qdrant)
    .WithModelSettings(aiEndpoint, aiKey, chatModel, embeddingModel)
    .WaitFor(cache)
    .WaitFor(ragdb)
    .WaitFor(qdrant)
    // The worker serves only /health and /alive; the endpoint exists for these probes.
    .WithHttpHealthCheck("/health")
    .WithReplicas(ingestionReplicas);

builder.AddProject<Projects.Rag_Web>("web", options => options.ExcludeLaunchProfile = true)
    .WithHttpEndpoint()
    .WithExternalHttpEndpoints()
    .WithReference(api)
    .WaitFor(api)
    .WithHttpHealthCheck("/health");

builder.Build().Run();

internal static class ModelSettingsExtensions
{
    // The API and the worker must embed with the same model, so both get the same four settings from one place.
    public static IResourceBuilder<ProjectResource> WithModelSettings(
        this IResourceBuilder<ProjectResource> project,
        IResourceBuilder<ParameterResource> endpoint,
        IResourceBuilder<ParameterResource> key,
        IResourceBuilder<ParameterResource> chatModel,
        IResourceBuilder<ParameterResource> embeddingModel) =>
        project
            .WithEnvironment("AI__Endpoint", endpoint)
            .WithEnvironment("AI__Key", key)
            .WithEnvironment("AI__ChatModel", chatModel)
            .WithEnvironment("AI__EmbeddingModel", embeddingModel);
}
