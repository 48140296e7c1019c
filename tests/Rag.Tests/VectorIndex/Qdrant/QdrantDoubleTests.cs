using System.Net;
using System.Text;

namespace Rag.Tests.VectorIndex.Qdrant;

// The double is only worth trusting if it catches what real Qdrant would refuse.
public sealed class QdrantDoubleTests : IAsyncLifetime
{
    private readonly QdrantDoubleFixture _fixture = new();

    public Task InitializeAsync() => _fixture.InitializeAsync();

    public Task DisposeAsync() => _fixture.DisposeAsync();

    [Theory]
    [InlineData("""{"query":[0.1,0.2],"limit":0}""", "minimum")]
    [InlineData("""{"query":[0.1,0.2],"filter":{"must":[{"key":"tags","match":{"value":{"nested":1}}}]}}""", "anyOf")]
    [InlineData("""{"query":[0.1,0.2],"filter":{"must":[],"mustnt":[]}}""", "anyOf")]
    public async Task AMalformedRequestIsRejectedAndRecorded(string body, string keyword)
    {
        using var client = _fixture.CreateInspectionClient();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var create = new StringContent("""{"vectors":{"size":2,"distance":"Cosine"}}""", Encoding.UTF8, "application/json");
        (await client.PutAsync("/collections/c", create, cancel.Token)).EnsureSuccessStatusCode();
        Assert.Empty(_fixture.Qdrant.Violations);

        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/collections/c/points/query", content, cancel.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Format error in JSON body", await response.Content.ReadAsStringAsync(cancel.Token), StringComparison.Ordinal);
        var violation = Assert.Single(_fixture.Qdrant.Violations);
        Assert.Contains("query_points", violation, StringComparison.Ordinal);
        Assert.Contains(keyword, violation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownQueryParameterAndAnUnknownPathAreRecorded()
    {
        using var client = _fixture.CreateInspectionClient();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        using var unknownParameter = await client.GetAsync("/collections/c?verbose=1", cancel.Token);
        using var unknownPath = await client.GetAsync("/nowhere", cancel.Token);

        Assert.Equal(HttpStatusCode.NotFound, unknownPath.StatusCode);
        Assert.Contains(_fixture.Qdrant.Violations, v => v.Contains("verbose", StringComparison.Ordinal));
        Assert.Contains(_fixture.Qdrant.Violations, v => v.Contains("/nowhere", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RequestsWithoutTheApiKeyAreRefused()
    {
        using var client = new HttpClient { BaseAddress = _fixture.Qdrant.Endpoint, Timeout = TimeSpan.FromSeconds(10) };

        using var response = await client.GetAsync("/collections/c");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(_fixture.Qdrant.Violations);
    }
}
