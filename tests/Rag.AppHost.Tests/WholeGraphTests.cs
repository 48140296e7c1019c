using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Xunit;

namespace Rag.AppHost.Tests;

// Runs the real graph (Redis, PostgreSQL and Qdrant containers plus the three services) and walks one document from
// upload to a cited answer. Needs Docker or Podman; every wait has its own timeout so a missing runtime fails, not hangs.
public class WholeGraphTests
{
    private const string AdminPassword = "whole-graph-test-Adm1n!";

    // First runs pull three images, so starting may take minutes; afterwards each step is quick.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan HealthyTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan IngestionTimeout = TimeSpan.FromMinutes(2);

    private static readonly string[] Resources = ["cache", "postgres", "ragdb", "qdrant", "api", "ingestion", "web"];

    private const string Document = """
        # Harbour notes

        The keeper of the Zephyrine lighthouse feeds exactly seventeen cats every Tuesday.
        The lamp was converted to LED light in 2011.
        """;

    [Fact]
    public async Task UploadedDocumentIsIngestedAndCitedInAnAnswer()
    {
        var cancellationToken = CancellationToken.None;

        // Parameters come from configuration; empty AI settings (the AppHost defaults) select the offline models.
        string[] args =
        [
            $"Parameters:admin-password={AdminPassword}",
            "Parameters:ai-key=not-used-offline",
            $"Parameters:jwt-signing-key={Convert.ToHexString(RandomNumberGenerator.GetBytes(32))}",
        ];

        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Rag_AppHost>(args, cancellationToken)
            .WaitAsync(StartTimeout, cancellationToken);
        await using var app = await appHost.BuildAsync(cancellationToken).WaitAsync(StartTimeout, cancellationToken);
        await app.StartAsync(cancellationToken).WaitAsync(StartTimeout, cancellationToken);

        foreach (var resource in Resources)
        {
            await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, cancellationToken)
                .WaitAsync(HealthyTimeout, cancellationToken);
        }

        using var api = app.CreateHttpClient("api");
        api.Timeout = RequestTimeout;

        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await GetTokenAsync(api, cancellationToken));

        var (documentId, jobId) = await UploadAsync(api, cancellationToken);
        await WaitForJobAsync(api, jobId, cancellationToken);

        using var answer = await PostJsonAsync(
            api,
            "/api/v1/query",
            new { query = "How many cats does the keeper of the Zephyrine lighthouse feed?" },
            HttpStatusCode.OK,
            cancellationToken);

        var answerText = answer.RootElement.GetProperty("answer").GetString()!;
        var sourcesFromDocument = answer.RootElement.GetProperty("sources").EnumerateArray()
            .Where(source => source.GetProperty("document_id").GetString() == documentId)
            .ToList();

        Assert.NotEmpty(sourcesFromDocument);
        Assert.Contains(sourcesFromDocument, source => source.GetProperty("text").GetString()!.Contains("seventeen cats", StringComparison.Ordinal));
        // Answers cite numbered sources as [n]; at least one citation must point into the uploaded document.
        Assert.Contains(sourcesFromDocument, source => answerText.Contains($"[{source.GetProperty("n").GetInt32()}]", StringComparison.Ordinal));
    }

    private static async Task<string> GetTokenAsync(HttpClient api, CancellationToken cancellationToken)
    {
        using var token = await PostJsonAsync(
            api,
            "/api/v1/auth/token",
            new Dictionary<string, string> { ["user_name"] = "admin", ["password"] = AdminPassword },
            HttpStatusCode.OK,
            cancellationToken);

        return token.RootElement.GetProperty("access_token").GetString()!;
    }

    private static async Task<(string DocumentId, string JobId)> UploadAsync(HttpClient api, CancellationToken cancellationToken)
    {
        using var content = new MultipartFormDataContent();
        var file = new StringContent(Document);
        file.Headers.ContentType = new MediaTypeHeaderValue("text/markdown");
        content.Add(file, "files", "harbour-notes.md");

        using var response = await api.PostAsync(new Uri("/api/v1/documents", UriKind.Relative), content, cancellationToken);
        using var body = await ReadJsonAsync(response, HttpStatusCode.Accepted, cancellationToken);

        var document = Assert.Single(body.RootElement.GetProperty("documents").EnumerateArray());
        Assert.Equal("harbour-notes.md", document.GetProperty("file_name").GetString());
        return (document.GetProperty("document_id").GetString()!, document.GetProperty("job_id").GetString()!);
    }

    private static async Task WaitForJobAsync(HttpClient api, string jobId, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(IngestionTimeout);

        var status = "";
        try
        {
            while (true)
            {
                using var response = await api.GetAsync(new Uri($"/api/v1/jobs/{jobId}", UriKind.Relative), timeout.Token);
                using var job = await ReadJsonAsync(response, HttpStatusCode.OK, timeout.Token);

                status = job.RootElement.GetProperty("status").GetString()!;
                if (status == "completed")
                {
                    return;
                }

                Assert.True(status != "failed", $"Ingestion job {jobId} failed: {job.RootElement.GetProperty("error")}");
                await Task.Delay(TimeSpan.FromMilliseconds(500), timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"Ingestion job {jobId} was still '{status}' after {IngestionTimeout}.");
        }
    }

    private static async Task<JsonDocument> PostJsonAsync<T>(
        HttpClient api, string path, T body, HttpStatusCode expected, CancellationToken cancellationToken)
    {
        using var response = await api.PostAsJsonAsync(new Uri(path, UriKind.Relative), body, cancellationToken);
        return await ReadJsonAsync(response, expected, cancellationToken);
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, HttpStatusCode expected, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.RequestUri} returned {(int)response.StatusCode}, expected {(int)expected}: {text}");
        return JsonDocument.Parse(text);
    }
}
