using Rag.Core;
using Rag.LocalHost;

namespace Rag.Tests.Deployment;

// "Same code in every graph": the local launcher must give each service the configuration keys the AppHost gives it.
public class LocalGraphEnvironmentTests
{
    private static readonly string[] WiringPrefixes = ["ConnectionStrings__", "services__", "AI__", "Auth__"];

    // Qdrant has no Debian package, so the local graph runs without it and the API uses its in-process index.
    private static readonly string[] QdrantOnly = [$"ConnectionStrings__{ResourceNames.Qdrant}", $"ConnectionStrings__{ResourceNames.QdrantHttpConnection}"];

    [Theory]
    [InlineData(ResourceNames.Api)]
    [InlineData(ResourceNames.Ingestion)]
    [InlineData(ResourceNames.Web)]
    public void LauncherWiresEachServiceWithTheManifestsKeys(string service)
    {
        var references = new GraphReferences("127.0.0.1:6379,password=p", "Host=127.0.0.1;Database=ragdb", new Uri("http://127.0.0.1:7101"), new LocalSecrets("r", "j", "a"));

        var launcherKeys = AppHostEnvironment.For(service, references).Keys.Order();
        var manifestKeys = AspireManifest.Load().EnvironmentOf(service).Keys
            .Where(key => WiringPrefixes.Any(prefix => key.StartsWith(prefix, StringComparison.Ordinal)))
            .Except(QdrantOnly)
            .Order();

        Assert.Equal(manifestKeys, launcherKeys);
    }
}
