using System.Text.Json;
using System.Text.RegularExpressions;

namespace Rag.Tests.Deployment;

// aspire-manifest.json as the tests see it: resources by name, and the pieces of each the services depend on.
internal sealed partial class AspireManifest
{
    public const string RelativePath = "aspire-manifest.json";

    private AspireManifest(JsonElement resources) => Resources = resources;

    public JsonElement Resources { get; }

    public IReadOnlyList<string> ResourceNames =>
        [.. Resources.EnumerateObject().Select(resource => resource.Name)];

    public static AspireManifest Load()
    {
        using var document = JsonDocument.Parse(RepositoryFiles.ReadAllText(RelativePath));
        Assert.True(document.RootElement.TryGetProperty("resources", out var resources), "The manifest has no \"resources\" object.");
        return new AspireManifest(resources.Clone());
    }

    public JsonElement Resource(string name)
    {
        Assert.True(Resources.TryGetProperty(name, out var resource), $"The manifest has no resource '{name}'.");
        return resource;
    }

    public string TypeOf(string name) => Resource(name).GetProperty("type").GetString()!;

    public IReadOnlyDictionary<string, string> EnvironmentOf(string name) =>
        Resource(name).TryGetProperty("env", out var env)
            ? env.EnumerateObject().ToDictionary(variable => variable.Name, variable => variable.Value.GetString()!, StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    public IEnumerable<string> NamesOfType(string type) =>
        Resources.EnumerateObject()
            .Where(resource => resource.Value.GetProperty("type").GetString() == type)
            .Select(resource => resource.Name);

    // Every "{resource.…}" placeholder anywhere in the manifest, with the resource it points at.
    public IEnumerable<(string Placeholder, string Resource)> Placeholders() =>
        StringsIn(Resources)
            .SelectMany(text => PlaceholderPattern().Matches(text))
            .Select(match => (match.Value, match.Groups["resource"].Value));

    private static IEnumerable<string> StringsIn(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Object => element.EnumerateObject().SelectMany(property => StringsIn(property.Value)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(StringsIn),
        _ => [],
    };

    [GeneratedRegex(@"\{(?<resource>[A-Za-z0-9_-]+)\.[A-Za-z0-9_.]+\}")]
    private static partial Regex PlaceholderPattern();
}
