using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Rag.Tests.Graph;

namespace Rag.Tests.Security;

[Collection(SecurityCollection.Name)]
public sealed class HostileInputTests(SecurityFixture fixture)
{
    private static readonly string[] Injections =
    [
        "' OR '1'='1", "'; DROP TABLE documents; --", "\" OR \"\"=\"", "1; SELECT pg_sleep(5)--", "admin'--", "%' AND 1=1 --", "\\'; DELETE FROM users; --",
    ];

    [Fact]
    public async Task SqlInjectionInEveryStringFieldAndQueryParameterIsJustData()
    {
        using var admin = await fixture.Api.SignInAsAdminAsync();
        using var anonymous = fixture.Api.CreateClient(null, "10.44.0.1");
        foreach (var injection in Injections)
        {
            using (var signIn = await anonymous.PostAsJsonAsync("/api/v1/auth/token", new { user_name = injection, password = injection }))
            {
                await AssertProblemAsync(signIn, HttpStatusCode.Unauthorized);
            }

            using (var search = await admin.PostAsJsonAsync("/api/v1/search",
                new { query = injection, collection = injection, filters = new { tags = new[] { injection }, content_types = new[] { injection } } }))
            {
                Assert.Equal(HttpStatusCode.OK, search.StatusCode);
                Assert.Empty((await search.Content.ReadFromJsonAsync<JsonObject>())!["results"]!.AsArray());
            }

            var query = Uri.EscapeDataString(injection);
            var listing = (await admin.GetFromJsonAsync<JsonObject>($"/api/v1/documents?collection={query}&status={query}&tag={query}", RagApiClient.Json))!;
            Assert.Equal(0, listing["total"]!.GetValue<int>());

            using (var upload = await admin.PostAsync("/api/v1/documents", Multipart(injection, ("note.txt", "text"u8.ToArray()))))
            {
                await AssertProblemAsync(upload, HttpStatusCode.BadRequest);
            }

            using (var grant = await admin.PutAsJsonAsync($"/api/v1/admin/collections/{query}/access",
                new { principal_kind = injection, principal_id = Guid.NewGuid(), permission = injection }))
            {
                await AssertProblemAsync(grant, HttpStatusCode.BadRequest);
            }
        }

        // A hostile user name is stored as it was given, and the users table is still there.
        var name = "x'); DROP TABLE users; --" + Guid.NewGuid().ToString("N")[..6];
        await ApiHost.CreateUserAsync(admin, name, "hostile-password-1", "reader");
        var users = (await admin.GetFromJsonAsync<JsonArray>("/api/v1/admin/users", RagApiClient.Json))!;
        Assert.Contains(users, u => u!.GetString("user_name") == name);
    }

    [Fact]
    public async Task PathTraversalFileNamesAndScriptTitlesAreStoredAsPlainLabels()
    {
        using var admin = await fixture.Api.SignInAsAdminAsync();
        var collection = "hostile-" + Guid.NewGuid().ToString("N")[..8];
        using var response = await admin.PostAsync("/api/v1/documents", Multipart(collection,
            ("../../../etc/passwd.txt", "first"u8.ToArray()),
            ("..\\..\\windows\\system.ini.txt", "second"u8.ToArray()),
            ("<img src=x onerror=alert(1)>.txt", "third"u8.ToArray())));
        var raw = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, raw);
        var names = JsonNode.Parse(raw)!["documents"]!.AsArray().Select(d => d!.GetString("file_name")).ToArray();
        Assert.Equal(["passwd.txt", "system.ini.txt", "<img src=x onerror=alert(1)>.txt"], names);

        // The title is data: JSON carries it intact, sent as JSON that browsers may not sniff as HTML; the web app encodes it when rendering.
        var scripted = JsonNode.Parse(raw)!["documents"]!.AsArray()[2]!.GetGuid("document_id");
        using var get = await admin.GetAsync($"/api/v1/documents/{scripted}");
        var body = await get.Content.ReadAsStringAsync();
        Assert.Equal("application/json", get.Content.Headers.ContentType?.MediaType);
        Assert.Equal("<img src=x onerror=alert(1)>", JsonNode.Parse(body)!.GetString("title"));
        Assert.Equal("nosniff", get.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task OversizedDeepAndMalformedJsonBodiesAreRefusedWithProblemDetails()
    {
        using var admin = await fixture.Api.SignInAsAdminAsync();

        var huge = "{\"query\":\"" + new string('a', 10 * 1024 * 1024) + "\"}";
        using (var response = await admin.PostAsync("/api/v1/search", new StringContent(huge, Encoding.UTF8, "application/json")))
        {
            await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        }

        var deep = "{\"query\":\"x\",\"filters\":" + string.Concat(Enumerable.Repeat("{\"a\":", 5000)) + "1" + new string('}', 5001);
        using (var response = await admin.PostAsync("/api/v1/search", new StringContent(deep, Encoding.UTF8, "application/json")))
        {
            await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        }

        var invalidUtf8 = new ByteArrayContent([.. "{\"query\":\""u8, 0xC3, 0x28, 0xFF, 0xFE, .. "\"}"u8]);
        invalidUtf8.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using (var response = await admin.PostAsync("/api/v1/search", invalidUtf8))
        {
            await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        }

        using (var response = await admin.PostAsync("/api/v1/admin/users", new StringContent("{\"user_name\": [1,2", Encoding.UTF8, "application/json")))
        {
            await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        }
    }

    private static MultipartFormDataContent Multipart(string collection, params (string FileName, byte[] Content)[] files)
    {
        var form = new MultipartFormDataContent { { new StringContent(collection), "collection" } };
        foreach (var (fileName, content) in files)
        {
            var part = new ByteArrayContent(content);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, "files", fileName);
        }

        return form;
    }

    // Every refusal is problem details with the request id, and nothing of the server's insides.
    internal static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!;
        Assert.Equal((int)expected, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(problem["request_id"]?.GetValue<string>()), body);
        foreach (var leak in (string[])["   at ", "Exception", "Npgsql", "SELECT ", "INSERT ", SecurityFixture.SigningKey])
        {
            Assert.DoesNotContain(leak, body, StringComparison.Ordinal);
        }
    }
}
