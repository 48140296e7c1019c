using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Rag.Tests.Answers;
using Rag.Tests.Graph;

namespace Rag.Tests.Security;

// Through the real graph, because only there do workers index the documents that search must then keep apart.
[Collection(GraphCollection.Name)]
public sealed class CollectionIsolationGraphTests(SharedGraphFixture fixture)
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AReaderOfOneCollectionSeesNothingOfAnother()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (collectionA, collectionB) = ("iso-a-" + suffix, "iso-b-" + suffix);
        var admin = fixture.Api;
        var readerId = await CreateUserAsync(admin, "iso-reader-" + suffix, "reader");
        await CreateUserAsync(admin, "iso-editor-" + suffix, "editor");
        using var editor = await RagApiClient.SignInAsync(fixture.Graph.Api.Url, "iso-editor-" + suffix, "iso-password-123");
        using var reader = await RagApiClient.SignInAsync(fixture.Graph.Api.Url, "iso-reader-" + suffix, "iso-password-123");

        // The editor creates collection A by uploading into it; B is the admin's.
        var documentA = (await editor.UploadAcceptedAsync(collectionA, ("alpha.txt", Encoding.UTF8.GetBytes("Quokkanite alpha report: the harbour budget."))))[0];
        var documentB = (await admin.UploadAcceptedAsync(collectionB, ("bravo.txt", Encoding.UTF8.GetBytes("Quokkanite bravo report: the vaultword payroll."))))[0];
        Assert.Equal("completed", (await admin.WaitForJobAsync(documentA.GetGuid("job_id"), JobTimeout)).GetString("status"));
        Assert.Equal("completed", (await admin.WaitForJobAsync(documentB.GetGuid("job_id"), JobTimeout)).GetString("status"));

        // Before any grant the reader sees nothing at all; the editor sees its own collection.
        Assert.Empty(await reader.SearchAsync("quokkanite report"));
        AssertOnlyFrom(documentA, await editor.SearchAsync("quokkanite report", topK: 10));

        using (var grant = await admin.Http.PutAsJsonAsync($"/api/v1/admin/collections/{collectionA}/access",
            new { principal_kind = "user", principal_id = readerId, permission = "read" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, grant.StatusCode);
        }

        AssertOnlyFrom(documentA, await reader.SearchAsync("quokkanite report", topK: 10));

        // B's own words: vector search may still offer A's nearest chunks, never B's.
        Assert.DoesNotContain(documentB.GetGuid("document_id"), (await reader.SearchAsync("vaultword payroll", topK: 10)).Select(h => h!.GetGuid("document_id")));

        Assert.Empty(await reader.SearchAsync("quokkanite report", collection: collectionB, topK: 10));

        // Answers and their citations draw only on what the reader may see, even when the question names B's words.
        var answer = await reader.QueryAsync(new { query = "What is the vaultword payroll?", threshold = 0.0, max_results = 10 });
        Assert.DoesNotContain(documentB.GetGuid("document_id"), answer["sources"]!.AsArray().Select(s => s!.GetGuid("document_id")));
        var chat = await reader.ChatAsync(new { query = "Tell me about the vaultword payroll." });
        var chatSources = chat.Single(e => e.Type == "sources").Data["sources"]!.AsArray();
        Assert.DoesNotContain(documentB.GetGuid("document_id"), chatSources.Select(s => s!.GetGuid("document_id")));

        // A conversation is its owner's alone: another user can neither list, read, continue nor delete it.
        var conversationId = chat.Single(e => e.Type == "done").Data.GetGuid("conversation_id");
        Assert.Contains(conversationId, (await reader.Http.GetFromJsonAsync<JsonObject>("/api/v1/conversations", RagApiClient.Json))!["conversations"]!.AsArray().Select(c => c!.GetGuid("id")));
        Assert.DoesNotContain(conversationId, (await editor.Http.GetFromJsonAsync<JsonObject>("/api/v1/conversations", RagApiClient.Json))!["conversations"]!.AsArray().Select(c => c!.GetGuid("id")));
        Assert.Equal(HttpStatusCode.NotFound, (await editor.Http.GetAsync($"/api/v1/conversations/{conversationId}")).StatusCode);
        using (var continued = await editor.Http.PostAsJsonAsync("/api/v1/chat", new { query = "And then?", conversation_id = conversationId }))
        {
            Assert.Equal(HttpStatusCode.NotFound, continued.StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await editor.Http.DeleteAsync($"/api/v1/conversations/{conversationId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reader.Http.GetAsync($"/api/v1/conversations/{conversationId}")).StatusCode);

        var listing = (await reader.Http.GetFromJsonAsync<JsonObject>("/api/v1/documents?page_size=100", RagApiClient.Json))!;
        Assert.NotEmpty(listing["items"]!.AsArray());
        Assert.All(listing["items"]!.AsArray(), item => Assert.Equal(collectionA, item!.GetString("collection")));
        var listingB = (await reader.Http.GetFromJsonAsync<JsonObject>($"/api/v1/documents?collection={collectionB}", RagApiClient.Json))!;
        Assert.Equal(0, listingB["total"]!.GetValue<int>());

        Assert.Equal(HttpStatusCode.OK, (await reader.Http.GetAsync($"/api/v1/documents/{documentA.GetGuid("document_id")}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.Http.GetAsync($"/api/v1/documents/{documentB.GetGuid("document_id")}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.Http.GetAsync($"/api/v1/jobs/{documentB.GetGuid("job_id")}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.Http.GetAsync($"/api/v1/jobs/{documentB.GetGuid("job_id")}/events")).StatusCode);

        // Writing needs both the role and the collection: the editor cannot touch B, nor even learn that its document exists.
        using (var upload = await editor.UploadAsync(collectionB, ("intruder.txt", Encoding.UTF8.GetBytes("Intruder text."))))
        {
            Assert.Equal(HttpStatusCode.Forbidden, upload.StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await editor.Http.DeleteAsync($"/api/v1/documents/{documentB.GetGuid("document_id")}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.Http.GetAsync($"/api/v1/documents/{documentB.GetGuid("document_id")}")).StatusCode);
    }

    // Full-text search sees a completed document at once (the vector index may follow a moment later), so A is found.
    private static void AssertOnlyFrom(JsonObject document, JsonArray hits)
    {
        Assert.NotEmpty(hits);
        Assert.All(hits, hit => Assert.Equal(document.GetGuid("document_id"), hit!.GetGuid("document_id")));
    }

    private static async Task<Guid> CreateUserAsync(RagApiClient admin, string userName, string role)
    {
        using var response = await admin.Http.PostAsJsonAsync("/api/v1/admin/users", new { user_name = userName, password = "iso-password-123", role });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"Creating {userName} answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!.GetGuid("id");
    }
}
