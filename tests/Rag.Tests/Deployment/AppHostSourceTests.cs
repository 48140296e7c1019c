using System.Text.RegularExpressions;
using Rag.Core;

namespace Rag.Tests.Deployment;

// The AppHost cannot be built on machines without Aspire packages, so its source is checked as text: the names it
// declares must be the shared ones, and the manifest must be in step with it.
public partial class AppHostSourceTests
{
    private const string AppHostPath = "src/Rag.AppHost/AppHost.cs";

    private readonly string _source = RepositoryFiles.ReadAllText(AppHostPath);

    [Fact]
    public void DeclaresEachResourceUnderItsSharedName()
    {
        var declared = ResourceDeclaration().Matches(_source)
            .ToDictionary(match => match.Groups["name"].Value, match => match.Groups["method"].Value, StringComparer.Ordinal);

        Assert.Equal("AddRedis", declared[ResourceNames.Cache]);
        Assert.Equal("AddPostgres", declared[ResourceNames.Postgres]);
        Assert.Equal("AddDatabase", declared[ResourceNames.Database]);
        Assert.Equal("AddQdrant", declared[ResourceNames.Qdrant]);
        Assert.Equal("AddProject<Projects.Rag_Api>", declared[ResourceNames.Api]);
        Assert.Equal("AddProject<Projects.Rag_Ingestion>", declared[ResourceNames.Ingestion]);
        Assert.Equal("AddProject<Projects.Rag_Web>", declared[ResourceNames.Web]);
        Assert.Equal(7, declared.Count);
    }

    [Fact]
    public void DeclaresTheParametersTheManifestHas()
    {
        var declared = ParameterDeclaration().Matches(_source).Select(match => match.Groups["name"].Value);

        var manifest = AspireManifest.Load();
        // The manifest also holds the parameters the integrations generate (passwords, the Qdrant key).
        var fromManifest = manifest.NamesOfType("parameter.v0")
            .Where(name => name is not ("cache-password" or "postgres-password" or "qdrant-Key"));

        Assert.Equal(fromManifest.Order(StringComparer.Ordinal), declared.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EveryEnvironmentVariableItSetsIsInTheManifest()
    {
        var variables = EnvironmentDeclaration().Matches(_source).Select(match => match.Groups["name"].Value).ToList();
        Assert.NotEmpty(variables);

        var manifest = AspireManifest.Load();
        var inManifest = new[] { ResourceNames.Api, ResourceNames.Ingestion, ResourceNames.Web }
            .SelectMany(service => manifest.EnvironmentOf(service).Keys)
            .ToHashSet(StringComparer.Ordinal);

        Assert.All(variables, variable => Assert.Contains(variable, inManifest));
    }

    [Fact]
    public void ReferencesTheThreeServiceProjects()
    {
        var project = RepositoryFiles.ReadAllText("src/Rag.AppHost/Rag.AppHost.csproj");

        foreach (var service in new[] { "Rag.Api", "Rag.Ingestion", "Rag.Web" })
        {
            Assert.Contains($@"<ProjectReference Include=""..\{service}\{service}.csproj"" />", project, StringComparison.Ordinal);
            Assert.True(File.Exists(RepositoryFiles.PathOf($"src/{service}/{service}.csproj")), $"{service}.csproj is missing.");
        }
    }

    [GeneratedRegex(@"\.(?<method>AddRedis|AddPostgres|AddDatabase|AddQdrant|AddProject<[\w.]+>)\(\s*""(?<name>[^""]+)""")]
    private static partial Regex ResourceDeclaration();

    [GeneratedRegex(@"\.AddParameter\(\s*""(?<name>[^""]+)""")]
    private static partial Regex ParameterDeclaration();

    [GeneratedRegex(@"\.WithEnvironment\(\s*""(?<name>[^""]+)""")]
    private static partial Regex EnvironmentDeclaration();
}
