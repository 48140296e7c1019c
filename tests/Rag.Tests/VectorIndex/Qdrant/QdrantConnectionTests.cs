using Microsoft.Extensions.Configuration;
using Rag.Core.VectorIndex.Qdrant;

namespace Rag.Tests.VectorIndex.Qdrant;

public class QdrantConnectionTests
{
    [Theory]
    [InlineData("Endpoint=http://localhost:6333;Key=s3cret", "http://localhost:6333/", "s3cret")]
    [InlineData(" endpoint = https://q.example:6333/ ; key = s3cret ; ", "https://q.example:6333/", "s3cret")]
    [InlineData("Endpoint=http://127.0.0.1:6333", "http://127.0.0.1:6333/", null)]
    [InlineData("Endpoint=http://127.0.0.1:6333;Key=", "http://127.0.0.1:6333/", null)]
    [InlineData("http://qdrant:6333", "http://qdrant:6333/", null)]
    [InlineData("Endpoint=\"http://h:1\";Key=\"a;b=c\"", "http://h:1/", "a;b=c")]
    public void ParsesAspireConnectionStrings(string connectionString, string endpoint, string? key)
    {
        var connection = QdrantConnection.Parse(connectionString);

        Assert.Equal(new Uri(endpoint), connection.Endpoint);
        Assert.Equal(key, connection.ApiKey);
    }

    [Theory]
    [InlineData("Key=s3cret", "no Endpoint")]
    [InlineData("Endpoint=localhost:6333;Key=s3cret", "not an absolute http(s) URI")]
    [InlineData("Endpoint=ftp://h:1", "not an absolute http(s) URI")]
    [InlineData("Endpoint=http://h:1;Password=s3cret", "unknown key 'password'")]
    [InlineData("Endpoint=http://h:1;Key=\"s3cret", "not a list of key=value pairs")]
    public void MalformedConnectionStringsFailClearlyWithoutRevealingTheKey(string connectionString, string reason)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:qdrant_http"] = connectionString })
            .Build();

        var error = Assert.Throws<InvalidOperationException>(() => QdrantConnection.FromConfiguration(configuration, "qdrant_http"));

        Assert.Contains("ConnectionStrings:qdrant_http", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingConnectionStringNamesTheSettingToProvide()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => QdrantConnection.FromConfiguration(new ConfigurationBuilder().Build(), "qdrant_http"));

        Assert.Contains("ConnectionStrings:qdrant_http is not set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PrintingTheConnectionHidesTheKey()
    {
        Assert.DoesNotContain("s3cret", QdrantConnection.Parse("Endpoint=http://h:1;Key=s3cret").ToString(), StringComparison.Ordinal);
    }
}
