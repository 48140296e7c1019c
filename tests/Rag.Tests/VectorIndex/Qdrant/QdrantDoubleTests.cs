using System.Net;
using System.Text;
using System.Text.Json;

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

    [Theory]
    [InlineData("""{"must":[{"key":"tags","match":{"value":"red"}}]}""", "1,2")]
    [InlineData("""{"must":[{"key":"tags","match":{"any":["blue","green"]}}]}""", "2,3")]
    [InlineData("""{"must_not":[{"key":"tags","match":{"value":"red"}}]}""", "3,4")]
    [InlineData("""{"should":[{"key":"n","match":{"value":1}},{"has_id":[4]}]}""", "1,4")]
    [InlineData("""{"must":[{"has_id":[1,2,3]}],"must_not":[{"should":[{"key":"tags","match":{"value":"blue"}}]}]}""", "1,3")]
    [InlineData("""{"must":[{"key":"missing","match":{"value":"x"}}]}""", "")]
    public async Task FiltersSelectThePointsQdrantWould(string filter, string expectedIds)
    {
        using var client = _fixture.CreateInspectionClient();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await SendAsync(client, HttpMethod.Put, "/collections/f", """{"vectors":{"size":2,"distance":"Cosine"}}""", cancel.Token);
        await SendAsync(client, HttpMethod.Put, "/collections/f/points?wait=true", """
            {"points":[
              {"id":1,"vector":[1,0],"payload":{"tags":["red"],"n":1}},
              {"id":2,"vector":[0.9,0.1],"payload":{"tags":["red","blue"],"n":2}},
              {"id":3,"vector":[0,1],"payload":{"tags":["green"],"n":3}},
              {"id":4,"vector":[-1,0],"payload":{"n":4}}]}
            """, cancel.Token);

        var result = await SendAsync(client, HttpMethod.Post, "/collections/f/points/query",
            $$"""{"query":[1,0],"limit":10,"filter":{{filter}}}""", cancel.Token);

        var ids = result.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("id").GetInt32()).Order();
        Assert.Equal(expectedIds, string.Join(',', ids));
        Assert.Empty(_fixture.Qdrant.Violations);
    }

    [Fact]
    public async Task QueryScoresAreCosineSimilaritiesBestFirst()
    {
        using var client = _fixture.CreateInspectionClient();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await SendAsync(client, HttpMethod.Put, "/collections/s", """{"vectors":{"size":2,"distance":"Cosine"}}""", cancel.Token);
        await SendAsync(client, HttpMethod.Put, "/collections/s/points?wait=true",
            """{"points":[{"id":1,"vector":[3,4]},{"id":2,"vector":[0,2]},{"id":3,"vector":[-1,0]}]}""", cancel.Token);

        var result = await SendAsync(client, HttpMethod.Post, "/collections/s/points/query", """{"query":[0,1],"limit":2}""", cancel.Token);

        var points = result.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal([2, 1], points.Select(p => p.GetProperty("id").GetInt32()));
        Assert.Equal(1.0, points[0].GetProperty("score").GetDouble(), 1e-6);
        Assert.Equal(0.8, points[1].GetProperty("score").GetDouble(), 1e-6);
        Assert.Empty(_fixture.Qdrant.Violations);
    }

    private static async Task<JsonElement> SendAsync(HttpClient client, HttpMethod method, string path, string body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await client.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.GetProperty("result").Clone();
    }
}
