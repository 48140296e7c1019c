using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Rag.Tests.Answers;
using Rag.Tests.Graph;

namespace Rag.Tests.Retrieval;

[Collection(GraphCollection.Name)]
public sealed class SearchGraphTests(SharedGraphFixture fixture)
{
    private const string Runbook =
        """
        # Relay runbook

        ## Nightly restart

        The Zorblax relay restarts nightly at 02:00 to rotate its logs.

        ## Nightly restart again

        The Zorblax relay restarts nightly at 02:00 to rotate its logs and caches.

        ## Postponing

        A nightly Zorblax relay restart can be postponed with the hold flag.

        ## Quibble

        The Quibble cache keeps segments on local disk.
        """;

    [Fact]
    public async Task DiversifyingReplacesANearDuplicateWithAnotherPassage()
    {
        var collection = $"search-{Guid.NewGuid():N}"[..23];
        await fixture.Api.IngestAsync(collection, "runbook.md", Runbook);
        const string query = "When does the Zorblax relay restart nightly to rotate logs?";

        var plain = await SearchAsync(new { query, collection, top_k = 2 });
        var diverse = await SearchAsync(new { query, collection, top_k = 2, diversify = true });

        Assert.All(plain, hit => Assert.Contains("02:00", hit!["text"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.Contains("02:00", diverse[0]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        // The near-duplicate gives way to a passage that says something else.
        Assert.DoesNotContain("02:00", diverse[1]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(plain[0]!.GetGuid("chunk_id"), diverse[0]!.GetGuid("chunk_id"));
    }

    [Fact]
    public async Task HitsSayWhichRetrieversFoundThemAndRespectFilters()
    {
        var collection = $"search-{Guid.NewGuid():N}"[..23];
        var documentId = await fixture.Api.IngestAsync(collection, "runbook.md", Runbook);
        await fixture.Api.IngestAsync(collection, "other.md", "# Other\n\nThe Zorblax relay manual lives elsewhere.");

        var hits = await SearchAsync(new { query = "Quibble cache segments", collection, top_k = 3, filters = new { document_ids = new[] { documentId } } });

        Assert.NotEmpty(hits);
        Assert.All(hits, hit => Assert.Equal(documentId, hit!.GetGuid("document_id")));
        var first = hits[0]!;
        Assert.Contains("Quibble", first["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(["vector", "text"], first["retrievers"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal(["Relay runbook", "Quibble"], first["heading_path"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.InRange(first["relevance"]!.GetValue<double>(), 0.2, 1);
        Assert.Equal(1, first["score"]!.GetValue<double>(), precision: 6);

        using var invalid = await fixture.Api.Http.PostAsJsonAsync("/api/v1/search", new { query = "x", top_k = 51 });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    [Fact]
    public async Task ContentTypeAndDateFiltersApplyToEveryHitAndEachHitHasItsRelevance()
    {
        var collection = $"search-{Guid.NewGuid():N}"[..23];
        var markdown = await fixture.Api.IngestAsync(collection, "runbook.md", Runbook);
        var text = await fixture.Api.IngestAsync(collection, "notes.txt", "Zorblax relay notes: the Quibble cache is flushed before the nightly restart.");
        const string query = "Zorblax relay Quibble cache nightly restart";

        var all = await SearchAsync(new { query, collection, top_k = 10 });
        Assert.Contains(all, hit => hit!.GetGuid("document_id") == markdown);
        Assert.Contains(all, hit => hit!.GetGuid("document_id") == text);
        // Whichever retriever found a hit, it carries the cosine of its embedding and the query's.
        Assert.All(all, hit => Assert.InRange(hit!["relevance"]!.GetValue<double>(), -1, 1));

        var onlyText = await SearchAsync(new { query, collection, top_k = 10, filters = new { content_types = new[] { "text/plain" } } });
        Assert.Equal([text], onlyText.Select(hit => hit!.GetGuid("document_id")).Distinct());

        var tomorrow = DateTimeOffset.UtcNow.AddDays(1);
        Assert.Empty(await SearchAsync(new { query, collection, top_k = 10, filters = new { from = tomorrow } }));
        Assert.Equal(all.Count, (await SearchAsync(new { query, collection, top_k = 10, filters = new { to = tomorrow } })).Count);
    }

    private async Task<JsonArray> SearchAsync(object request)
    {
        using var response = await fixture.Api.Http.PostAsJsonAsync("/api/v1/search", request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Search answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!["results"]!.AsArray();
    }
}
