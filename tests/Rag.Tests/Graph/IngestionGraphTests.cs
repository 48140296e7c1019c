using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Rag.Tests.Extraction;

namespace Rag.Tests.Graph;

// Upload to searchable through the real processes: API, Redis Stream, worker, PostgreSQL, the API's index.
[Collection(GraphCollection.Name)]
public sealed class IngestionGraphTests(SharedGraphFixture fixture)
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(90);

    private RagApiClient Api => fixture.Api;

    [Fact]
    public async Task EveryFormatIsIngestedAndItsTextIsSearchable()
    {
        const string collection = "formats";
        var files = new (string FileName, byte[] Content, string Phrase)[]
        {
            ("notes.txt", Utf8("Quarterly notes.\n\nThe heliotrope warehouse reopened in March."), "heliotrope warehouse"),
            ("guide.md", Utf8("# Setup guide\n\n## Firewall\n\nOpen port 8443 for the marmalade gateway.\n"), "marmalade gateway"),
            ("page.html", Utf8("<html><head><title>Ops</title><script>var hidden='zeppelin';</script></head><body><nav>Home | About</nav><main><h1>Runbook</h1><p>Restart the quokka scheduler nightly.</p></main></body></html>"), "quokka scheduler"),
            ("report.pdf", PdfSharpDocuments.ThreePages(), "first page introduces the report"),
            ("manual.pdf", InstalledFiles.Read(InstalledFiles.GraphvizDotManual, "graphviz-doc"), "directed graphs"),
            ("spec.docx", TestDocx.Build(TestDocx.Paragraph("Design", "Heading1") + TestDocx.Paragraph("The pelican protocol retries three times.")), "pelican protocol"),
            ("people.csv", Utf8("name,role\nAda,astronomer of the nebula team\nLin,archivist\n"), "nebula team"),
            ("config.json", Utf8("""{"service":{"name":"lighthouse-relay","timeout":30}}"""), "lighthouse relay"),
        };

        var accepted = await Api.UploadAcceptedAsync(collection, [.. files.Select(f => (f.FileName, f.Content))]);

        Assert.Equal(files.Length, accepted.Count);
        foreach (var document in accepted)
        {
            var job = await Api.WaitForJobAsync(document.GetGuid("job_id"), JobTimeout);
            Assert.True(job.GetString("status") == "completed", $"{document.GetString("file_name")}: {job.ToJsonString()}");
        }

        foreach (var (fileName, _, phrase) in files)
        {
            var documentId = accepted.Single(d => d.GetString("file_name") == fileName).GetGuid("document_id");
            var results = await Api.SearchAsync(phrase, collection);
            Assert.True(
                results.Any(r => r!.GetGuid("document_id") == documentId),
                $"Searching '{phrase}' did not find {fileName}: {results.ToJsonString()}");
        }

        var hiddenScript = await Api.SearchAsync("zeppelin", collection);
        Assert.DoesNotContain(hiddenScript, r => r!.GetString("text").Contains("zeppelin", StringComparison.Ordinal));

        var manualId = accepted.Single(d => d.GetString("file_name") == "manual.pdf").GetGuid("document_id");
        var manualHit = (await Api.SearchAsync("directed graphs", collection)).First(r => r!.GetGuid("document_id") == manualId)!;
        Assert.True(manualHit["page"]!.GetValue<int>() >= 1);
    }

    [Fact]
    public async Task BadFilesGetClearErrorsWhileTheRestOfTheBatchCompletes()
    {
        const string collection = "hostile";
        var goodPdf = PdfSharpDocuments.ThreePages();
        var corruptPdf = goodPdf[..64].Concat(Enumerable.Repeat((byte)0x5A, 4096)).ToArray();
        var docx = TestDocx.Build(TestDocx.Paragraph("Truncated in transit."));
        var garbage = Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251)).ToArray();

        using var response = await Api.UploadAsync(
            collection,
            ("corrupt.pdf", corruptPdf),
            ("truncated.docx", docx[..(docx.Length / 2)]),
            ("bomb.docx", TestDocx.ZipBomb(inflatedMegabytes: 512, declaredSize: 4096)),
            ("garbage.txt", garbage),
            ("empty.txt", []),
            ("good.txt", Utf8("The albatross index survives hostile batches.")));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var files = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["documents"]!.AsArray().ToDictionary(f => f!.GetString("file_name"), f => f!);

        Assert.Equal(415, files["garbage.txt"]["error"]!["status"]!.GetValue<int>());
        Assert.Contains("garbage.txt", files["garbage.txt"]["error"]!.GetString("detail"), StringComparison.Ordinal);
        Assert.Equal(400, files["empty.txt"]["error"]!["status"]!.GetValue<int>());

        // Damaged files whose type is still recognisable are accepted, and their jobs fail with a reason a person can read.
        foreach (var name in (string[])["corrupt.pdf", "truncated.docx", "bomb.docx"])
        {
            var file = files[name];
            if (file.GetString("status") == "rejected")
            {
                Assert.False(string.IsNullOrWhiteSpace(file["error"]!.GetString("detail")));
                continue;
            }

            var job = await Api.WaitForJobAsync(file.GetGuid("job_id"), JobTimeout);
            Assert.Equal("failed", job.GetString("status"));
            Assert.False(string.IsNullOrWhiteSpace(job.GetString("error")));
            Assert.DoesNotContain("Exception", job.GetString("error"), StringComparison.Ordinal);
        }

        var good = await Api.WaitForJobAsync(files["good.txt"].GetGuid("job_id"), JobTimeout);
        Assert.Equal("completed", good.GetString("status"));
    }

    [Fact]
    public async Task OversizedAndEmptyUploadsAnswerWithTheirStatusAndNameTheFile()
    {
        using var tooBig = await Api.UploadAsync("limits", ("huge.txt", new byte[(50 * 1024 * 1024) + 1]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);
        Assert.Equal("application/problem+json", tooBig.Content.Headers.ContentType?.MediaType);
        Assert.Contains("huge.txt", await tooBig.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var empty = await Api.UploadAsync("limits", ("nothing.md", []));
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Contains("nothing.md", await empty.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var mismatch = await Api.UploadAsync("limits", ("photo.pdf", Utf8("not a pdf at all, just words")));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, mismatch.StatusCode);
    }

    [Fact]
    public async Task IdenticalBytesInTheSameCollectionAreTheSameDocument()
    {
        var content = Utf8("Duplicate detection keeps one copy of the okapi ledger.");
        var first = (await Api.UploadAcceptedAsync("dedup", ("ledger.txt", content)))[0];
        var second = (await Api.UploadAcceptedAsync("dedup", ("ledger-copy.txt", content)))[0];
        var elsewhere = (await Api.UploadAcceptedAsync("dedup-other", ("ledger.txt", content)))[0];

        Assert.Equal("queued", first.GetString("status"));
        Assert.Equal("duplicate", second.GetString("status"));
        Assert.Equal(first.GetGuid("document_id"), second.GetGuid("document_id"));
        Assert.Equal(first.GetGuid("job_id"), second.GetGuid("job_id"));
        Assert.NotEqual(first.GetGuid("document_id"), elsewhere.GetGuid("document_id"));
    }

    [Fact]
    public async Task ConcurrentUploadsIntoANewCollectionAllLandInIt()
    {
        // Uploads find or create their collection without locking its row: racing creators must still share one.
        var uploads = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Api.UploadAcceptedAsync("racing", ($"racer-{i}.txt", Utf8($"Racing upload number {i} about the capybara relay.")))));

        Assert.All(uploads, accepted => Assert.Equal("queued", accepted[0].GetString("status")));
        var listed = await Api.Http.GetFromJsonAsync<JsonObject>("/api/v1/documents?collection=racing&page_size=1", RagApiClient.Json);
        Assert.Equal(8, listed!["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task DeletedDocumentsLeaveSearchAndReindexingRebuildsTheSameChunks()
    {
        const string collection = "lifecycle";
        var keep = (await Api.UploadAcceptedAsync(collection, ("keep.md", Utf8("# Keep\n\nThe wombat archive stays.\n\nIt has two paragraphs about wombat records."))))[0];
        var drop = (await Api.UploadAcceptedAsync(collection, ("drop.md", Utf8("# Drop\n\nThe wombat archive of the other team goes away."))))[0];
        await Api.WaitForJobAsync(keep.GetGuid("job_id"), JobTimeout);
        await Api.WaitForJobAsync(drop.GetGuid("job_id"), JobTimeout);
        var chunksBefore = (await Api.GetDocumentAsync(keep.GetGuid("document_id")))["chunk_count"]!.GetValue<int>();

        using (var deleted = await Api.Http.DeleteAsync($"/api/v1/documents/{drop.GetGuid("document_id")}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using (var gone = await Api.Http.GetAsync($"/api/v1/documents/{drop.GetGuid("document_id")}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        Assert.DoesNotContain(await Api.SearchAsync("wombat archive", collection), r => r!.GetGuid("document_id") == drop.GetGuid("document_id"));

        using var reindex = await Api.Http.PostAsync($"/api/v1/documents/{keep.GetGuid("document_id")}/reindex", null);
        Assert.Equal(HttpStatusCode.Accepted, reindex.StatusCode);
        var reindexJob = (await reindex.Content.ReadFromJsonAsync<JsonObject>(RagApiClient.Json))!.GetGuid("job_id");
        Assert.NotEqual(keep.GetGuid("job_id"), reindexJob);
        Assert.Equal("completed", (await Api.WaitForJobAsync(reindexJob, JobTimeout)).GetString("status"));

        var after = await Api.GetDocumentAsync(keep.GetGuid("document_id"));
        Assert.Equal(2, after["version"]!.GetValue<int>());
        Assert.Equal(chunksBefore, after["chunk_count"]!.GetValue<int>());
        // The API learns of the new version from the index event: its passages, not the first version's, are found.
        var secondVersion = Enumerable.Range(0, chunksBefore).Select(ordinal => Rag.Core.Chunking.ChunkIds.Create(keep.GetGuid("document_id"), 2, ordinal)).ToHashSet();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!(await Api.SearchAsync("wombat archive", collection)).Any(r => secondVersion.Contains(r!.GetGuid("chunk_id"))))
        {
            await Task.Delay(100, patience.Token);
        }

        Assert.All(
            (await Api.SearchAsync("wombat archive", collection)).Where(r => r!.GetGuid("document_id") == keep.GetGuid("document_id")),
            r => Assert.Contains(r!.GetGuid("chunk_id"), secondVersion));
    }

    [Fact]
    public async Task DocumentsAreListedByCollectionStatusAndTag()
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent("listing"), "collection" },
            { new StringContent("finance, q3"), "tags" },
            { new ByteArrayContent(Utf8("Tagged budget notes about the ibex fund.")), "files", "budget.txt" },
        };
        using var tagged = await Api.Http.PostAsync("/api/v1/documents", form);
        Assert.Equal(HttpStatusCode.Accepted, tagged.StatusCode);
        await Api.UploadAcceptedAsync("listing", ("plain.txt", Utf8("Untagged notes about the ibex fund.")));

        var byTag = await Api.Http.GetFromJsonAsync<JsonObject>("/api/v1/documents?collection=listing&tag=q3", RagApiClient.Json);
        var items = byTag!["items"]!.AsArray();
        Assert.Equal(1, byTag["total"]!.GetValue<int>());
        Assert.Equal("budget.txt", items[0]!.GetString("file_name"));
        Assert.Equal(["finance", "q3"], items[0]!["tags"]!.AsArray().Select(t => t!.GetValue<string>()));

        var all = await Api.Http.GetFromJsonAsync<JsonObject>("/api/v1/documents?collection=listing&page_size=1", RagApiClient.Json);
        Assert.Equal(2, all!["total"]!.GetValue<int>());
        Assert.Single(all["items"]!.AsArray());
    }

    [Fact]
    public async Task JobEventsStreamProgressUntilTheJobEnds()
    {
        var document = (await Api.UploadAcceptedAsync("events", ("events.txt", Utf8("Server-sent events report the narwhal job."))))[0];

        using var timeout = new CancellationTokenSource(JobTimeout);
        using var stream = await Api.Http.GetStreamAsync($"/api/v1/jobs/{document.GetGuid("job_id")}/events", timeout.Token);
        var statuses = new List<string>();
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(stream).EnumerateAsync(timeout.Token))
        {
            Assert.Equal("job", item.EventType);
            statuses.Add(JsonNode.Parse(item.Data)!.GetString("status"));
        }

        Assert.Equal("completed", statuses[^1]);
        Assert.All(statuses[..^1], s => Assert.Contains(s, (string[])["queued", "processing"]));
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
