using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Rag.Core;
using Rag.Tests.VectorIndex.Qdrant;

namespace Rag.Tests.Graph;

// The full graph's vector index is Qdrant: here its contract-checking double stands in for it.
[Collection(GraphCollection.Name)]
public sealed class QdrantGraphTests
{
    [Fact]
    public async Task WithQdrantConfiguredWorkersWriteItAndTheApiSearchesIt()
    {
        await using var qdrant = await QdrantDouble.StartAsync();
        await using var graph = await TestGraph.StartAsync(new Dictionary<string, string?>
        {
            [$"ConnectionStrings__{ResourceNames.QdrantHttpConnection}"] = qdrant.ConnectionString,
        });
        using var api = await RagApiClient.SignInAsAdminAsync(graph);

        var document = (await api.UploadAcceptedAsync("qdrant", ("herons.md", Encoding.UTF8.GetBytes("# Herons\n\nThe grey heron nests in tall alders by the lake."))))[0];
        Assert.Equal("completed", (await api.WaitForJobAsync(document.GetGuid("job_id"), TimeSpan.FromSeconds(60))).GetString("status"));

        var stored = qdrant.PayloadsOf("rag_chunks").Values;
        Assert.Contains(stored, payload => payload["document_id"]!.GetValue<string>() == document.GetString("document_id"));
        var results = await api.SearchAsync("grey heron alders", "qdrant");
        Assert.Contains(results, r => r!.GetGuid("document_id") == document.GetGuid("document_id") && r!["retrievers"]!.AsArray().Any(x => x!.GetValue<string>() == "vector"));

        var index = await api.Http.GetFromJsonAsync<JsonObject>("/api/v1/admin/index", RagApiClient.Json);
        Assert.Equal("qdrant", index!.GetString("kind"));

        var health = (await api.Http.GetFromJsonAsync<JsonObject>("/health"))!;
        Assert.Contains(health["checks"]!.AsArray(), c => c!.GetString("name") == ResourceNames.Qdrant && c!.GetString("status") == "Healthy");
        Assert.Empty(qdrant.Violations);
    }
}
