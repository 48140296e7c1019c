using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Rag.Tests.Graph;
using Rag.Tests.Infrastructure;
using Rag.Tests.Security;

namespace Rag.Tests.Documents;

/// <summary>POST /api/v1/documents against real PostgreSQL and Redis: what one accepted upload leaves behind.</summary>
[Collection(SecurityCollection.Name)]
public sealed class UploadTests(SecurityFixture fixture)
{
    [Fact]
    public async Task AnAcceptedFileIsStoredWholeWithItsQueuedJobAndItsAuditRow()
    {
        var database = await fixture.CreateDatabaseAsync();
        await using var api = fixture.CreateHost(database, new Dictionary<string, string?> { ["RateLimits:PermitsPerWindow"] = "1000000" });
        using var admin = await api.SignInAsAdminAsync();

        // Larger than the first upload buffer, so the bytes must survive it growing.
        var content = TextOfBytes(300 * 1024, seed: 1);
        var accepted = await UploadAsync(admin, "stored", ("large.txt", content));
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        var file = accepted.Files[0]!;
        Assert.Equal("queued", file.GetString("status"));
        var documentId = file.GetGuid("document_id");

        var stored = await Sql.QueryAsync(database,
            $"SELECT content, pg_column_compression(content) FROM document_contents WHERE document_id = '{documentId}'",
            reader => (Bytes: reader.GetFieldValue<byte[]>(0), Compression: reader.IsDBNull(1) ? null : reader.GetString(1)));
        Assert.Equal(content, Assert.Single(stored).Bytes);
        Assert.Equal("lz4", stored[0].Compression);

        Assert.Equal(
            [(file.GetGuid("job_id"), "queued", "ingest")],
            await Sql.QueryAsync(database, $"SELECT id, status, kind FROM jobs WHERE document_id = '{documentId}'",
                reader => (reader.GetGuid(0), reader.GetString(1), reader.GetString(2))));

        var audit = await Sql.QueryAsync(database,
            $"SELECT actor, detail::text, request_id FROM audit_log WHERE action = 'document.uploaded' AND target = '{documentId}'",
            reader => (Actor: reader.GetString(0), Detail: JsonNode.Parse(reader.GetString(1))!, RequestId: reader.IsDBNull(2) ? null : reader.GetString(2)));
        var row = Assert.Single(audit);
        Assert.Equal("admin", row.Actor);
        Assert.Equal("stored", row.Detail.GetString("collection"));
        Assert.Equal("large.txt", row.Detail.GetString("file_name"));
        Assert.Equal(content.Length, row.Detail["size_bytes"]!.GetValue<long>());
        Assert.False(string.IsNullOrEmpty(row.RequestId));
    }

    [Fact]
    public async Task TheSameBytesAgainAreADuplicateWithoutANewJobOrAuditRow()
    {
        var database = await fixture.CreateDatabaseAsync();
        await using var api = fixture.CreateHost(database, new Dictionary<string, string?> { ["RateLimits:PermitsPerWindow"] = "1000000" });
        using var admin = await api.SignInAsAdminAsync();
        var content = TextOfBytes(20 * 1024, seed: 2);

        var first = (await UploadAsync(admin, "twice", ("one.txt", content))).Files[0]!;
        var second = (await UploadAsync(admin, "twice", ("two.txt", content))).Files[0]!;

        Assert.Equal("duplicate", second.GetString("status"));
        Assert.Equal(first.GetGuid("document_id"), second.GetGuid("document_id"));
        Assert.Equal(first.GetGuid("job_id"), second.GetGuid("job_id"));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(database, "SELECT count(*) FROM jobs"));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(database, "SELECT count(*) FROM audit_log WHERE action = 'document.uploaded'"));
    }

    [Fact]
    public async Task AFileOverTheLimitIsRefusedWhileTheOthersInTheRequestAreStored()
    {
        var database = await fixture.CreateDatabaseAsync();
        await using var api = fixture.CreateHost(database, new Dictionary<string, string?>
        {
            ["RateLimits:PermitsPerWindow"] = "1000000",
            ["Uploads:MaxFileBytes"] = (200 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var admin = await api.SignInAsAdminAsync();

        var accepted = await UploadAsync(admin, "limits",
            ("big.txt", TextOfBytes(200 * 1024 + 1, seed: 3)), ("small.txt", TextOfBytes(10 * 1024, seed: 4)), ("exact.txt", TextOfBytes(200 * 1024, seed: 5)));

        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        Assert.Equal(["rejected", "queued", "queued"], accepted.Files.Select(f => f!.GetString("status")));
        Assert.Equal(413, accepted.Files[0]!["error"]!["status"]!.GetValue<int>());
        Assert.Equal([10 * 1024, 200 * 1024], await Sql.QueryAsync(database,
            "SELECT length(content) FROM document_contents ORDER BY 1", reader => reader.GetInt32(0)));
    }

    [Fact]
    public async Task AnEditorCannotUploadIntoAnotherEditorsCollectionButCreatesTheirOwn()
    {
        var database = await fixture.CreateDatabaseAsync();
        await using var api = fixture.CreateHost(database, new Dictionary<string, string?> { ["RateLimits:PermitsPerWindow"] = "1000000" });
        using var admin = await api.SignInAsAdminAsync();
        await ApiHost.CreateUserAsync(admin, "owner", "owner-password-1", "editor");
        await ApiHost.CreateUserAsync(admin, "stranger", "stranger-password-1", "editor");
        using var owner = await api.SignInAsync("owner", "owner-password-1");
        using var stranger = await api.SignInAsync("stranger", "stranger-password-1");

        Assert.Equal(HttpStatusCode.Accepted, (await UploadAsync(owner, "owned", ("a.txt", TextOfBytes(1024, seed: 6)))).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await UploadAsync(owner, "owned", ("b.txt", TextOfBytes(1024, seed: 7)))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await UploadAsync(stranger, "owned", ("c.txt", TextOfBytes(1024, seed: 8)))).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await UploadAsync(stranger, "strangers", ("c.txt", TextOfBytes(1024, seed: 8)))).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await UploadAsync(admin, "owned", ("d.txt", TextOfBytes(1024, seed: 9)))).Status);

        Assert.Equal([("owned", 3L), ("strangers", 1L)], await Sql.QueryAsync(database,
            "SELECT c.name, count(*) FROM documents d JOIN collections c ON c.id = d.collection_id GROUP BY c.name ORDER BY c.name",
            reader => (reader.GetString(0), reader.GetInt64(1))));
    }

    private static async Task<(HttpStatusCode Status, JsonArray Files)> UploadAsync(HttpClient client, string collection, params (string Name, byte[] Content)[] files)
    {
        using var form = new MultipartFormDataContent { { new StringContent(collection), "collection" } };
        foreach (var (name, content) in files)
        {
            var part = new ByteArrayContent(content);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, "files", name);
        }

        using var response = await client.PostAsync("/api/v1/documents", form);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, body?["documents"]?.AsArray() ?? body?["files"]?.AsArray() ?? []);
    }

    // Distinct ASCII text of an exact length: lines that differ by seed and line number.
    private static byte[] TextOfBytes(int length, int seed)
    {
        var text = new StringBuilder(length + 64);
        for (var line = 0; text.Length < length; line++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"Seed {seed}, line {line}: the quick brown fox jumps over the lazy dog.\n");
        }

        return Encoding.ASCII.GetBytes(text.ToString(0, length));
    }
}
