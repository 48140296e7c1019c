namespace Rag.Tests.Contracts;

/// <summary>
/// The published contracts we test against, kept outside the repository in shared/specs beside it.
/// Found by walking up from the test assembly to the folder holding Rag.sln, then to the nearest
/// ancestor of that folder that has shared/specs.
/// </summary>
public static class SpecFiles
{
    public const string QdrantOpenApi = "qdrant-openapi.json";
    public const string AspireManifestSchema = "aspire-manifest.schema.json";
    public const string AzureYamlSchema = "azure-yaml.schema.json";

    // azure.yaml's schema refers to azd extension schemas by URL, inside "host: azure.ai.*" branches only.
    private static readonly string[] AzureExtensionSchemas =
    [
        "https://raw.githubusercontent.com/Azure/azure-dev/main/cli/azd/extensions/azure.ai.agents/schemas/azure.ai.agent.json",
        "https://raw.githubusercontent.com/Azure/azure-dev/main/cli/azd/extensions/azure.ai.agents/schemas/microsoft.foundry.json",
        "https://raw.githubusercontent.com/Azure/azure-dev/main/cli/azd/extensions/azure.ai.connections/schemas/azure.ai.connection.json",
        "https://raw.githubusercontent.com/Azure/azure-dev/main/cli/azd/extensions/azure.ai.projects/schemas/azure.ai.project.json",
        "https://raw.githubusercontent.com/Azure/azure-dev/main/cli/azd/extensions/azure.ai.routines/schemas/azure.ai.routine.json",
        "https://raw.githubusercontent.com/Azure/azure-dev/main/cli/azd/extensions/azure.ai.skills/schemas/azure.ai.skill.json",
        "https://raw.githubusercontent.com/Azure/azure-dev/main/cli/azd/extensions/azure.ai.toolboxes/schemas/azure.ai.toolbox.json",
    ];

    private static readonly Lazy<string> SpecsDirectory = new(FindSpecsDirectory);

    public static JsonSchemaValidator LoadAspireManifestValidator() =>
        JsonSchemaValidator.Load(PathOf(AspireManifestSchema), SchemaDialect.Draft07);

    /// <summary>The azure.yaml validator, with <paramref name="remoteStandIn"/> in place of every remote schema so it never goes to the network.</summary>
    public static JsonSchemaValidator LoadAzureYamlValidator(System.Text.Json.JsonElement remoteStandIn)
    {
        var validator = JsonSchemaValidator.Load(PathOf(AzureYamlSchema), SchemaDialect.Draft201909);
        foreach (var uri in AzureExtensionSchemas)
        {
            validator.RegisterExternalSchema(uri, remoteStandIn);
        }

        return validator;
    }

    public static string PathOf(string fileName)
    {
        var path = System.IO.Path.Combine(SpecsDirectory.Value, fileName);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"The contract file {fileName} is missing from {SpecsDirectory.Value}.", path);
    }

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Rag.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No folder holding Rag.sln above {AppContext.BaseDirectory}.");
    }

    private static string FindSpecsDirectory()
    {
        var repositoryRoot = RepositoryRoot();
        for (var directory = new DirectoryInfo(repositoryRoot).Parent; directory is not null; directory = directory.Parent)
        {
            var specs = System.IO.Path.Combine(directory.FullName, "shared", "specs");
            if (Directory.Exists(specs))
            {
                return specs;
            }
        }

        throw new InvalidOperationException(
            $"No shared/specs folder beside the repository at {repositoryRoot} (or above it): the contract tests need the shared specs checked out next to the repository.");
    }
}
