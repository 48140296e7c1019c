using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Rag.Tests.Contracts;

/// <summary>
/// An OpenAPI 3.0 document as a contract: finds the operation a request is for, and checks request bodies,
/// query parameters and response bodies against that operation's schemas.
/// </summary>
public sealed class OpenApiContract
{
    private readonly List<OpenApiOperation> _operations;

    public OpenApiContract(JsonSchemaValidator validator)
    {
        ArgumentNullException.ThrowIfNull(validator);
        if (validator.Dialect != SchemaDialect.OpenApi30)
        {
            throw new ArgumentException("An OpenAPI contract needs a validator of the OpenApi30 dialect.", nameof(validator));
        }

        Validator = validator;
        _operations = [];
        foreach (var path in validator.Document.GetProperty("paths").EnumerateObject())
        {
            // Literal segments first (/points/count before /points/{id}) so the most specific template wins.
            var pattern = "^" + Regex.Replace(Regex.Escape(path.Name), @"\\\{[^}]+}", "(?<p>[^/]+)") + "$";
            foreach (var operation in path.Value.EnumerateObject())
            {
                _operations.Add(new OpenApiOperation(operation.Name.ToUpperInvariant(), path.Name, new Regex(pattern), operation.Value));
            }
        }

        _operations.Sort((a, b) => CountParameters(a.PathTemplate).CompareTo(CountParameters(b.PathTemplate)));
    }

    public JsonSchemaValidator Validator { get; }

    public static OpenApiContract Load(string path) => new(JsonSchemaValidator.Load(path, SchemaDialect.OpenApi30));

    public OpenApiOperation? FindOperation(string method, string path) =>
        _operations.FirstOrDefault(o => o.Method == method.ToUpperInvariant() && o.PathPattern.IsMatch(path));

    /// <summary>Every schema of the document, for <see cref="JsonSchemaValidator.CheckKeywords"/>.</summary>
    public IEnumerable<JsonElement> AllSchemas()
    {
        foreach (var schema in Validator.Document.GetProperty("components").GetProperty("schemas").EnumerateObject())
        {
            yield return schema.Value;
        }

        foreach (var operation in _operations)
        {
            foreach (var schema in FindSchemas(operation.Definition))
            {
                yield return schema;
            }
        }
    }

    public IReadOnlyList<SchemaViolation> ValidateRequestBody(OpenApiOperation operation, JsonElement body)
    {
        ArgumentNullException.ThrowIfNull(operation);
        if (!operation.Definition.TryGetProperty("requestBody", out var requestBody))
        {
            return [new SchemaViolation("", "requestBody", $"{operation} takes no request body")];
        }

        return Validator.Validate(body, requestBody.GetProperty("content").GetProperty("application/json").GetProperty("schema"));
    }

    /// <summary>Checks query parameters by their declared schemas: unknown names, and values of the wrong type.</summary>
    public IReadOnlyList<SchemaViolation> ValidateQuery(OpenApiOperation operation, IEnumerable<KeyValuePair<string, string>> query)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(query);
        var declared = operation.Definition.TryGetProperty("parameters", out var parameters)
            ? parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query")
                .ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("schema"))
            : [];

        var violations = new List<SchemaViolation>();
        foreach (var (name, text) in query)
        {
            if (!declared.TryGetValue(name, out var schema))
            {
                violations.Add(new SchemaViolation("?" + name, "parameters", $"{operation} has no query parameter '{name}'"));
                continue;
            }

            using var value = JsonDocument.Parse(QueryValueAsJson(text));
            violations.AddRange(Validator.Validate(value.RootElement, schema).Select(v => v with { InstancePath = "?" + name + v.InstancePath }));
        }

        return violations;
    }

    /// <summary>Checks a JSON response body against the response the operation declares for <paramref name="status"/>.</summary>
    public IReadOnlyList<SchemaViolation> ValidateResponse(OpenApiOperation operation, int status, JsonElement body)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var responses = operation.Definition.GetProperty("responses");
        var code = status.ToString(CultureInfo.InvariantCulture);
        if (!responses.TryGetProperty(code, out var response)
            && !responses.TryGetProperty(code[0] + "XX", out response)
            && !responses.TryGetProperty("default", out response))
        {
            return [new SchemaViolation("", "responses", $"{operation} declares no response {status}")];
        }

        if (!response.TryGetProperty("content", out var content) || !content.TryGetProperty("application/json", out var json))
        {
            return [new SchemaViolation("", "responses", $"{operation} declares no JSON body for {status}")];
        }

        return Validator.Validate(body, json.GetProperty("schema"));
    }

    // Query strings carry text: booleans and numbers become JSON literals, anything else a JSON string.
    private static string QueryValueAsJson(string text) =>
        text is "true" or "false" || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            ? text
            : JsonSerializer.Serialize(text);

    private static int CountParameters(string template) => template.Count(c => c == '{');

    private static IEnumerable<JsonElement> FindSchemas(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name == "schema")
                {
                    yield return property.Value;
                }
                else
                {
                    foreach (var schema in FindSchemas(property.Value))
                    {
                        yield return schema;
                    }
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var schema in element.EnumerateArray().SelectMany(FindSchemas))
            {
                yield return schema;
            }
        }
    }
}

public sealed record OpenApiOperation(string Method, string PathTemplate, Regex PathPattern, JsonElement Definition)
{
    public string OperationId => Definition.TryGetProperty("operationId", out var id) ? id.GetString()! : $"{Method} {PathTemplate}";

    public override string ToString() => $"{Method} {PathTemplate} ({OperationId})";
}
