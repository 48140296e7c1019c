using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Rag.Tests.Deployment;

// azd turns a single Aspire service into one Container App per manifest resource; it accepts only this shape.
public partial class AzureYamlTests
{
    private readonly YamlMappingNode _root = Load();

    [Fact]
    public void NameIsAValidAzdName()
    {
        Assert.Matches(AzdName(), Scalar(_root, "name"));
    }

    [Fact]
    public void HasOneDotnetContainerAppServiceBuiltFromTheAppHost()
    {
        var services = (YamlMappingNode)_root.Children[new YamlScalarNode("services")];
        var (_, serviceNode) = Assert.Single(services.Children);
        var service = (YamlMappingNode)serviceNode;

        // azd imports an Aspire AppHost only for language "dotnet" (not "csharp") and only onto Container Apps.
        Assert.Equal("dotnet", Scalar(service, "language"));
        Assert.Equal("containerapp", Scalar(service, "host"));

        var projectPath = Scalar(service, "project");
        Assert.Equal("./src/Rag.AppHost/Rag.AppHost.csproj", projectPath);
        var project = RepositoryFiles.ReadAllText(projectPath);
        Assert.Contains("Sdk=\"Aspire.AppHost.Sdk/", project, StringComparison.Ordinal);
    }

    private static YamlMappingNode Load()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(RepositoryFiles.ReadAllText("azure.yaml")));
        return (YamlMappingNode)Assert.Single(yaml.Documents).RootNode;
    }

    private static string Scalar(YamlMappingNode node, string key)
    {
        Assert.True(node.Children.TryGetValue(new YamlScalarNode(key), out var value), $"azure.yaml has no '{key}'.");
        return Assert.IsType<YamlScalarNode>(value).Value!;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex AzdName();
}
