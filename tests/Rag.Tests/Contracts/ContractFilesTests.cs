using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Rag.Tests.Contracts;

// The three contract files load, every keyword in them is understood, and documents like ours validate.
public partial class ContractFilesTests
{
    [Fact]
    public void QdrantOpenApiIsFullyUnderstoodAndChecksRequestBodies()
    {
        var contract = OpenApiContract.Load(SpecFiles.PathOf(SpecFiles.QdrantOpenApi));
        foreach (var schema in contract.AllSchemas())
        {
            contract.Validator.CheckKeywords(schema);
        }

        var createCollection = contract.FindOperation("PUT", "/collections/rag_chunks");
        Assert.NotNull(createCollection);
        Assert.Equal("create_collection", createCollection.OperationId);
        Assert.Equal("count_points", contract.FindOperation("POST", "/collections/rag_chunks/points/count")?.OperationId);

        Assert.Empty(contract.ValidateRequestBody(createCollection, Json("""{"vectors":{"size":384,"distance":"Cosine"},"metadata":{"model":"m"}}""")));
        var wrongDistance = contract.ValidateRequestBody(createCollection, Json("""{"vectors":{"size":384,"distance":"Cosinus"}}"""));
        Assert.NotEmpty(wrongDistance);
        Assert.All(wrongDistance, v => Assert.Equal("/vectors", v.InstancePath));

        var query = contract.FindOperation("POST", "/collections/rag_chunks/points/query")!;
        Assert.Empty(contract.ValidateRequestBody(query, Json("""{"query":[0.1,0.2],"limit":3,"filter":{"must":[{"key":"tags","match":{"any":["a"]}}]}}""")));
        Assert.NotEmpty(contract.ValidateRequestBody(query, Json("""{"query":[0.1,0.2],"limit":0}""")));
        Assert.NotEmpty(contract.ValidateRequestBody(query, Json("""{"query":[0.1],"filter":{"must":[{"key":"tags","match":{"value":{"nested":1}}}]}}""")));
        Assert.NotEmpty(contract.ValidateQuery(query, [KeyValuePair.Create("timeout", "0")]));
        Assert.NotEmpty(contract.ValidateQuery(query, [KeyValuePair.Create("wait", "true")]));

        Assert.Empty(contract.ValidateResponse(createCollection, 200, Json("""{"result":true,"status":"ok","time":0.1}""")));
        Assert.NotEmpty(contract.ValidateResponse(createCollection, 200, Json("""{"result":"yes","status":"ok","time":0.1}""")));
        Assert.Empty(contract.ValidateResponse(createCollection, 409, Json("""{"status":{"error":"exists"},"time":0.1}""")));
    }

    [Fact]
    public void AspireManifestSchemaAcceptsTheSynthesizedManifestAndRejectsABrokenOne()
    {
        var validator = SpecFiles.LoadAspireManifestValidator();
        validator.CheckKeywords(validator.Document);
        var manifest = JsonNode.Parse(AppendixManifest())!.AsObject();

        Assert.Empty(validator.Validate(Json(manifest.ToJsonString())));

        var api = manifest["resources"]!["api"]!.AsObject();
        api.Remove("path");
        var violations = validator.Validate(Json(manifest.ToJsonString()));
        Assert.Contains(violations, v => v.InstancePath == "/resources/api");
    }

    [Fact]
    public void AzureYamlSchemaAcceptsAMinimalAzureYamlAndUsesStandInsForRemoteSchemas()
    {
        using var stub = JsonDocument.Parse("""{"type":"object","required":["agentKind"]}""");
        var validator = SpecFiles.LoadAzureYamlValidator(stub.RootElement);
        validator.CheckKeywords(validator.Document);

        const string AzureYaml = """
            name: rag
            metadata:
              template: rag@0.1.0
            services:
              api:
                project: ./src/Rag.Api
                language: dotnet
                host: containerapp
            """;
        Assert.Empty(validator.Validate(Json(YamlToJson.Convert(AzureYaml)!.ToJsonString())));

        var badName = validator.Validate(Json(YamlToJson.Convert(AzureYaml.Replace("name: rag", "name: Rag_App", StringComparison.Ordinal))!.ToJsonString()));
        Assert.Contains(badName, v => v.InstancePath == "/name" && v.Keyword == "pattern");

        // The agent branch reaches a remote schema: the stand-in is applied, nothing is fetched.
        const string AgentYaml = """
            name: rag
            services:
              agent:
                project: ./agent
                host: azure.ai.agent
            """;
        var agent = validator.Validate(Json(YamlToJson.Convert(AgentYaml)!.ToJsonString()));
        Assert.Contains(agent, v => v.InstancePath == "/services/agent" && v.Keyword == "required" && v.Message.Contains("agentKind", StringComparison.Ordinal));
    }

    [Fact]
    public void YamlScalarsBecomeTheJsonTypesTheirSchemaExpects()
    {
        var json = YamlToJson.Convert("""
            a: 1
            b: "1"
            c: true
            d: 1.5
            e: ~
            f: [x, 2]
            """)!;

        Assert.Equal("""{"a":1,"b":"1","c":true,"d":1.5,"e":null,"f":["x",2]}""", json.ToJsonString());
    }

    private static string AppendixManifest()
    {
        var facts = File.ReadAllText(Path.Combine(Path.GetDirectoryName(SpecFiles.PathOf(SpecFiles.AspireManifestSchema))!, "..", "docs", "aspire-facts.md"));
        var appendix = facts[facts.IndexOf("## Appendix A", StringComparison.Ordinal)..];
        return JsonBlock().Match(appendix).Groups[1].Value;
    }

    private static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    [GeneratedRegex("```json\\s*\\n(.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
