using System.Text.Json;
using Rag.Tests.Contracts;

namespace Rag.Tests.Deployment;

// The committed deployment files against the published schemas azd and Aspire hold them to.
public class DeploymentSchemaTests
{
    [Fact]
    public void CommittedManifestValidatesAgainstTheAspireManifestSchema()
    {
        using var manifest = JsonDocument.Parse(RepositoryFiles.ReadAllText(AspireManifest.RelativePath));

        var violations = SpecFiles.LoadAspireManifestValidator().Validate(manifest.RootElement);

        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void CommittedAzureYamlValidatesAgainstTheAzdSchema()
    {
        // Our service is a containerapp, so the azure.ai.* branches that refer to remote schemas must not apply:
        // a stand-in that accepts nothing proves they are never reached.
        using var rejectEverything = JsonDocument.Parse("false");
        var azureYaml = YamlToJson.Convert(RepositoryFiles.ReadAllText("azure.yaml"))!.ToJsonString();
        using var document = JsonDocument.Parse(azureYaml);

        var validator = SpecFiles.LoadAzureYamlValidator(rejectEverything.RootElement);
        var violations = validator.Validate(document.RootElement);

        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));

        // The same file claiming an azure.ai.agent host does reach the stand-in, and fails.
        using var agentHosted = JsonDocument.Parse(azureYaml.Replace("\"containerapp\"", "\"azure.ai.agent\"", StringComparison.Ordinal));
        Assert.NotEmpty(validator.Validate(agentHosted.RootElement));
    }
}
