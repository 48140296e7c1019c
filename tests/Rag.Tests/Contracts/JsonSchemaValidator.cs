using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Rag.Tests.Contracts;

/// <summary>
/// The repository's one JSON Schema validator, for contract tests. It implements exactly the keywords our
/// contract files use (OpenAPI 3.0 for Qdrant, draft-07 for the Aspire manifest, 2019-09 for azure.yaml) and
/// throws <see cref="UnsupportedSchemaException"/> on any other keyword or format, so nothing is silently skipped.
/// It never touches the network: external $refs resolve only to schemas registered with <see cref="RegisterExternalSchema"/>.
/// </summary>
public sealed class JsonSchemaValidator
{
    // Keywords that only annotate; ignored on purpose. "comment" is not standard: azure.yaml's schema uses it as a note.
    private static readonly HashSet<string> AnnotationKeywords =
    [
        "title", "description", "default", "examples", "deprecated", "markdownDescription", "$comment", "$schema", "$id",
        "readOnly", "writeOnly", "comment",
    ];

    // Keywords that hold subschemas reached only through $ref, not applied where they stand.
    private static readonly HashSet<string> ContainerKeywords = ["definitions", "$defs"];

    private static readonly HashSet<string> ValidationKeywords =
    [
        "$ref", "type", "enum", "const", "properties", "required", "additionalProperties", "patternProperties",
        "minProperties", "maxProperties", "items", "minItems", "maxItems", "uniqueItems", "anyOf", "oneOf", "allOf",
        "not", "if", "then", "else", "minimum", "maximum", "minLength", "maxLength", "pattern", "format",
    ];

    private static readonly HashSet<string> OpenApiOnlyKeywords = ["nullable", "example"];

    private static readonly ConcurrentDictionary<string, Regex> Patterns = new(StringComparer.Ordinal);

    private readonly Dictionary<string, JsonElement> _externalSchemas = new(StringComparer.Ordinal);

    public JsonSchemaValidator(JsonElement document, SchemaDialect dialect)
    {
        Document = document.Clone();
        Dialect = dialect;
    }

    /// <summary>The whole document the schema came from: $refs starting with "#" are resolved in it.</summary>
    public JsonElement Document { get; }

    public SchemaDialect Dialect { get; }

    public static JsonSchemaValidator Load(string path, SchemaDialect dialect)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        return new JsonSchemaValidator(document.RootElement, dialect);
    }

    /// <summary>Stands in <paramref name="schema"/> for the remote document at <paramref name="uri"/>.</summary>
    public void RegisterExternalSchema(string uri, JsonElement schema)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uri);
        _externalSchemas[uri.TrimEnd('#')] = schema.Clone();
    }

    /// <summary>Validates <paramref name="instance"/> against the document itself (a JSON Schema file).</summary>
    public IReadOnlyList<SchemaViolation> Validate(JsonElement instance) => Validate(instance, Document);

    /// <summary>Validates <paramref name="instance"/> against <paramref name="schema"/>, a schema inside <see cref="Document"/>.</summary>
    public IReadOnlyList<SchemaViolation> Validate(JsonElement instance, JsonElement schema)
    {
        var violations = new List<SchemaViolation>();
        Evaluate(schema, Document, instance, "", violations);
        return violations;
    }

    /// <summary>
    /// Walks <paramref name="schema"/> and every subschema in it, throwing on a keyword or format this validator does
    /// not implement; lets a test prove a whole contract file is understood before relying on it.
    /// </summary>
    public void CheckKeywords(JsonElement schema)
    {
        if (schema.ValueKind == JsonValueKind.True || schema.ValueKind == JsonValueKind.False)
        {
            return;
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            throw new UnsupportedSchemaException($"A schema must be an object or a boolean, not {schema.ValueKind}.");
        }

        foreach (var keyword in schema.EnumerateObject())
        {
            RequireKnownKeyword(keyword.Name);
            switch (keyword.Name)
            {
                case "properties" or "patternProperties" or "definitions" or "$defs":
                    foreach (var property in keyword.Value.EnumerateObject())
                    {
                        CheckKeywords(property.Value);
                    }

                    break;
                case "additionalProperties" or "not" or "if" or "then" or "else":
                    CheckKeywords(keyword.Value);
                    break;
                case "items" when keyword.Value.ValueKind == JsonValueKind.Array:
                case "anyOf" or "oneOf" or "allOf":
                    foreach (var item in keyword.Value.EnumerateArray())
                    {
                        CheckKeywords(item);
                    }

                    break;
                case "items":
                    CheckKeywords(keyword.Value);
                    break;
                case "format":
                    RequireKnownFormat(keyword.Value.GetString()!);
                    break;
            }
        }
    }

    private void Evaluate(JsonElement schema, JsonElement document, JsonElement instance, string path, List<SchemaViolation> violations)
    {
        switch (schema.ValueKind)
        {
            case JsonValueKind.True:
                return;
            case JsonValueKind.False:
                violations.Add(new(path, "false", "no value is allowed here"));
                return;
            case JsonValueKind.Object:
                break;
            default:
                throw new UnsupportedSchemaException($"A schema must be an object or a boolean, not {schema.ValueKind}.");
        }

        if (Dialect == SchemaDialect.OpenApi30 && instance.ValueKind == JsonValueKind.Null
            && schema.TryGetProperty("nullable", out var nullable) && nullable.ValueKind == JsonValueKind.True)
        {
            return;
        }

        if (schema.TryGetProperty("$ref", out var reference))
        {
            var (target, targetDocument) = ResolveReference(document, reference.GetString()!);
            Evaluate(target, targetDocument, instance, path, violations);
            // Before 2019-09 a $ref replaces everything beside it.
            if (Dialect != SchemaDialect.Draft201909)
            {
                return;
            }
        }

        var hasValidationKeyword = false;
        foreach (var keyword in schema.EnumerateObject())
        {
            RequireKnownKeyword(keyword.Name);
            hasValidationKeyword |= ValidationKeywords.Contains(keyword.Name);
            EvaluateKeyword(keyword.Name, keyword.Value, schema, document, instance, path, violations);
        }

        // Qdrant's generator writes "X or null" as anyOf [X, {"nullable": true}]: a schema that says nothing but
        // nullable means null only, else that branch would accept anything and hide every error in X.
        if (Dialect == SchemaDialect.OpenApi30 && !hasValidationKeyword && schema.TryGetProperty("nullable", out _)
            && instance.ValueKind != JsonValueKind.Null)
        {
            violations.Add(new(path, "nullable", $"expected null, found {Describe(instance)}"));
        }
    }

    private void EvaluateKeyword(
        string keyword, JsonElement value, JsonElement schema, JsonElement document, JsonElement instance, string path, List<SchemaViolation> violations)
    {
        switch (keyword)
        {
            case "type":
                CheckType(value, instance, path, violations);
                break;
            case "enum":
                if (!value.EnumerateArray().Any(candidate => JsonEquals(candidate, instance)))
                {
                    violations.Add(new(path, "enum", $"{Describe(instance)} is not one of {value.GetRawText()}"));
                }

                break;
            case "const":
                if (!JsonEquals(value, instance))
                {
                    violations.Add(new(path, "const", $"expected {value.GetRawText()}, found {Describe(instance)}"));
                }

                break;
            case "required" when instance.ValueKind == JsonValueKind.Object:
                foreach (var name in value.EnumerateArray().Select(n => n.GetString()!).Where(n => !instance.TryGetProperty(n, out _)))
                {
                    violations.Add(new(path, "required", $"missing property '{name}'"));
                }

                break;
            case "properties" when instance.ValueKind == JsonValueKind.Object:
                foreach (var property in instance.EnumerateObject())
                {
                    if (value.TryGetProperty(property.Name, out var propertySchema))
                    {
                        Evaluate(propertySchema, document, property.Value, Append(path, property.Name), violations);
                    }
                }

                break;
            case "patternProperties" when instance.ValueKind == JsonValueKind.Object:
                foreach (var pattern in value.EnumerateObject())
                {
                    foreach (var property in instance.EnumerateObject().Where(p => Pattern(pattern.Name).IsMatch(p.Name)))
                    {
                        Evaluate(pattern.Value, document, property.Value, Append(path, property.Name), violations);
                    }
                }

                break;
            case "additionalProperties" when instance.ValueKind == JsonValueKind.Object:
                foreach (var property in instance.EnumerateObject().Where(p => IsAdditional(schema, p.Name)))
                {
                    if (value.ValueKind == JsonValueKind.False)
                    {
                        violations.Add(new(Append(path, property.Name), "additionalProperties", $"property '{property.Name}' is not allowed"));
                    }
                    else
                    {
                        Evaluate(value, document, property.Value, Append(path, property.Name), violations);
                    }
                }

                break;
            case "minProperties" when instance.ValueKind == JsonValueKind.Object:
                CheckBound(path, keyword, instance.EnumerateObject().Count(), value, atLeast: true, "properties", violations);
                break;
            case "maxProperties" when instance.ValueKind == JsonValueKind.Object:
                CheckBound(path, keyword, instance.EnumerateObject().Count(), value, atLeast: false, "properties", violations);
                break;
            case "items" when instance.ValueKind == JsonValueKind.Array:
                var index = 0;
                foreach (var item in instance.EnumerateArray())
                {
                    if (value.ValueKind == JsonValueKind.Array)
                    {
                        // The tuple form: each position has its own schema; extra items are unconstrained here.
                        if (index < value.GetArrayLength())
                        {
                            Evaluate(value[index], document, item, Append(path, index), violations);
                        }
                    }
                    else
                    {
                        Evaluate(value, document, item, Append(path, index), violations);
                    }

                    index++;
                }

                break;
            case "minItems" when instance.ValueKind == JsonValueKind.Array:
                CheckBound(path, keyword, instance.GetArrayLength(), value, atLeast: true, "items", violations);
                break;
            case "maxItems" when instance.ValueKind == JsonValueKind.Array:
                CheckBound(path, keyword, instance.GetArrayLength(), value, atLeast: false, "items", violations);
                break;
            case "uniqueItems" when instance.ValueKind == JsonValueKind.Array && value.ValueKind == JsonValueKind.True:
                var items = instance.EnumerateArray().ToList();
                for (var i = 0; i < items.Count; i++)
                {
                    for (var j = i + 1; j < items.Count; j++)
                    {
                        if (JsonEquals(items[i], items[j]))
                        {
                            violations.Add(new(path, "uniqueItems", $"items {i} and {j} are equal"));
                        }
                    }
                }

                break;
            case "minLength" when instance.ValueKind == JsonValueKind.String:
                CheckBound(path, keyword, instance.GetString()!.EnumerateRunes().Count(), value, atLeast: true, "characters", violations);
                break;
            case "maxLength" when instance.ValueKind == JsonValueKind.String:
                CheckBound(path, keyword, instance.GetString()!.EnumerateRunes().Count(), value, atLeast: false, "characters", violations);
                break;
            case "pattern" when instance.ValueKind == JsonValueKind.String:
                if (!Pattern(value.GetString()!).IsMatch(instance.GetString()!))
                {
                    violations.Add(new(path, "pattern", $"\"{instance.GetString()}\" does not match {value.GetString()}"));
                }

                break;
            case "minimum" when instance.ValueKind == JsonValueKind.Number:
                if (instance.GetDouble() < value.GetDouble())
                {
                    violations.Add(new(path, "minimum", $"{instance.GetRawText()} is less than {value.GetRawText()}"));
                }

                break;
            case "maximum" when instance.ValueKind == JsonValueKind.Number:
                if (instance.GetDouble() > value.GetDouble())
                {
                    violations.Add(new(path, "maximum", $"{instance.GetRawText()} is greater than {value.GetRawText()}"));
                }

                break;
            case "format":
                CheckFormat(value.GetString()!, instance, path, violations);
                break;
            case "allOf":
                foreach (var branch in value.EnumerateArray())
                {
                    Evaluate(branch, document, instance, path, violations);
                }

                break;
            case "anyOf":
            {
                var failures = BranchFailures(value, document, instance, path);
                if (failures.All(f => f.Count > 0))
                {
                    violations.Add(new(path, "anyOf", "matches no branch: " + Summarize(failures)));
                }

                break;
            }

            case "oneOf":
            {
                var failures = BranchFailures(value, document, instance, path);
                var matches = failures.Count(f => f.Count == 0);
                if (matches != 1)
                {
                    violations.Add(new(path, "oneOf", matches == 0
                        ? "matches no branch: " + Summarize(failures)
                        : $"matches {matches} branches, exactly one is allowed"));
                }

                break;
            }

            case "not":
            {
                var inner = new List<SchemaViolation>();
                Evaluate(value, document, instance, path, inner);
                if (inner.Count == 0)
                {
                    violations.Add(new(path, "not", $"{Describe(instance)} matches a schema it must not match"));
                }

                break;
            }

            case "if":
            {
                var condition = new List<SchemaViolation>();
                Evaluate(value, document, instance, path, condition);
                var branchName = condition.Count == 0 ? "then" : "else";
                if (schema.TryGetProperty(branchName, out var branch))
                {
                    Evaluate(branch, document, instance, path, violations);
                }

                break;
            }
        }

        // Keywords not matched above either do not apply to this instance's type, or are evaluated elsewhere
        // ($ref, then/else with if, nullable), or only annotate.
    }

    private List<List<SchemaViolation>> BranchFailures(JsonElement branches, JsonElement document, JsonElement instance, string path)
    {
        var failures = new List<List<SchemaViolation>>();
        foreach (var branch in branches.EnumerateArray())
        {
            var branchViolations = new List<SchemaViolation>();
            Evaluate(branch, document, instance, path, branchViolations);
            failures.Add(branchViolations);
        }

        return failures;
    }

    private static string Summarize(List<List<SchemaViolation>> failures) =>
        string.Join(" | ", failures.Select((f, i) => $"[{i}] " + string.Join("; ", f.Take(3))));

    private void CheckType(JsonElement type, JsonElement instance, string path, List<SchemaViolation> violations)
    {
        var allowed = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : [type.GetString()!];
        if (!allowed.Any(t => HasType(t, instance)))
        {
            violations.Add(new(path, "type", $"expected {string.Join(" or ", allowed)}, found {Describe(instance)}"));
        }
    }

    private static bool HasType(string type, JsonElement instance) => type switch
    {
        "object" => instance.ValueKind == JsonValueKind.Object,
        "array" => instance.ValueKind == JsonValueKind.Array,
        "string" => instance.ValueKind == JsonValueKind.String,
        "boolean" => instance.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => instance.ValueKind == JsonValueKind.Null,
        "number" => instance.ValueKind == JsonValueKind.Number,
        "integer" => instance.ValueKind == JsonValueKind.Number && IsInteger(instance),
        _ => throw new UnsupportedSchemaException($"Unknown type '{type}'."),
    };

    private static bool IsInteger(JsonElement number) =>
        number.TryGetDecimal(out var value) ? value == decimal.Truncate(value) : Math.Floor(number.GetDouble()) == number.GetDouble();

    private static void CheckFormat(string format, JsonElement instance, string path, List<SchemaViolation> violations)
    {
        RequireKnownFormat(format);
        string? problem = (format, instance.ValueKind) switch
        {
            ("uint" or "uint64", JsonValueKind.Number) => IntegerProblem(instance, 0, ulong.MaxValue),
            ("uint32", JsonValueKind.Number) => IntegerProblem(instance, 0, uint.MaxValue),
            ("uint8", JsonValueKind.Number) => IntegerProblem(instance, 0, byte.MaxValue),
            ("int64", JsonValueKind.Number) => IntegerProblem(instance, long.MinValue, long.MaxValue),
            ("float", JsonValueKind.Number) => float.IsFinite((float)instance.GetDouble()) ? null : "is outside the float range",
            ("uuid", JsonValueKind.String) => Guid.TryParseExact(instance.GetString(), "D", out _) ? null : "is not a hyphenated UUID",
            ("date-time", JsonValueKind.String) => DateTimeOffset.TryParse(instance.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
                && instance.GetString()!.Contains('T', StringComparison.OrdinalIgnoreCase) ? null : "is not an RFC 3339 date-time",
            ("partial-date-time", JsonValueKind.String) => DateTime.TryParse(instance.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
                ? null : "is not a date-time",
            ("uri", JsonValueKind.String) => Uri.TryCreate(instance.GetString(), UriKind.Absolute, out _) ? null : "is not an absolute URI",
            // double: any JSON number is one; binary: any string (file contents are not JSON anyway).
            _ => null,
        };

        if (problem is not null)
        {
            violations.Add(new(path, "format", $"{Describe(instance)} {problem} (format {format})"));
        }
    }

    private static string? IntegerProblem(JsonElement number, decimal min, decimal max)
    {
        if (!IsInteger(number))
        {
            return "is not an integer";
        }

        return number.TryGetDecimal(out var value) && value >= min && value <= max ? null : $"is outside [{min}, {max}]";
    }

    private static void RequireKnownFormat(string format)
    {
        if (format is not ("uint" or "uint64" or "uint32" or "uint8" or "int64" or "float" or "double" or "uuid" or "date-time"
            or "partial-date-time" or "uri" or "binary"))
        {
            throw new UnsupportedSchemaException($"Unsupported format '{format}'.");
        }
    }

    private void RequireKnownKeyword(string keyword)
    {
        if (ValidationKeywords.Contains(keyword) || AnnotationKeywords.Contains(keyword) || ContainerKeywords.Contains(keyword))
        {
            return;
        }

        if (Dialect == SchemaDialect.OpenApi30 && (OpenApiOnlyKeywords.Contains(keyword) || keyword.StartsWith("x-", StringComparison.Ordinal)))
        {
            return;
        }

        throw new UnsupportedSchemaException($"Unsupported keyword '{keyword}' for {Dialect}.");
    }

    private static void CheckBound(string path, string keyword, int actual, JsonElement bound, bool atLeast, string unit, List<SchemaViolation> violations)
    {
        var limit = bound.GetInt32();
        if (atLeast ? actual < limit : actual > limit)
        {
            violations.Add(new(path, keyword, $"has {actual} {unit}, {(atLeast ? "at least" : "at most")} {limit} allowed"));
        }
    }

    private static bool IsAdditional(JsonElement schema, string name)
    {
        if (schema.TryGetProperty("properties", out var properties) && properties.TryGetProperty(name, out _))
        {
            return false;
        }

        return !(schema.TryGetProperty("patternProperties", out var patterns)
            && patterns.EnumerateObject().Any(p => Pattern(p.Name).IsMatch(name)));
    }

    private (JsonElement Schema, JsonElement Document) ResolveReference(JsonElement document, string reference)
    {
        if (reference.StartsWith('#'))
        {
            return (ResolvePointer(document, reference, reference), document);
        }

        var hash = reference.IndexOf('#', StringComparison.Ordinal);
        var uri = hash < 0 ? reference : reference[..hash];
        var fragment = hash < 0 ? "#" : reference[hash..];
        if (!_externalSchemas.TryGetValue(uri, out var external))
        {
            throw new UnsupportedSchemaException(
                $"$ref '{reference}' points outside the document; register a stand-in with RegisterExternalSchema(\"{uri}\", ...).");
        }

        return (ResolvePointer(external, fragment, reference), external);
    }

    private static JsonElement ResolvePointer(JsonElement document, string fragment, string reference)
    {
        var current = document;
        foreach (var rawToken in fragment.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var token = Uri.UnescapeDataString(rawToken).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            var found = current.ValueKind switch
            {
                JsonValueKind.Object => current.TryGetProperty(token, out var next) ? next : (JsonElement?)null,
                JsonValueKind.Array when int.TryParse(token, CultureInfo.InvariantCulture, out var i) && i < current.GetArrayLength() => current[i],
                _ => null,
            };
            current = found ?? throw new UnsupportedSchemaException($"$ref '{reference}' does not resolve.");
        }

        return current;
    }

    private static Regex Pattern(string pattern) =>
        Patterns.GetOrAdd(pattern, p => new Regex(p, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));

    private static bool JsonEquals(JsonElement left, JsonElement right)
    {
        if (left.ValueKind == JsonValueKind.Number && right.ValueKind == JsonValueKind.Number)
        {
            return left.TryGetDecimal(out var l) && right.TryGetDecimal(out var r) ? l == r : left.GetDouble() == right.GetDouble();
        }

        return JsonElement.DeepEquals(left, right);
    }

    private static string Describe(JsonElement instance) => instance.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => instance.GetString()!.Length <= 60 ? $"\"{instance.GetString()}\"" : "a long string",
        JsonValueKind.True or JsonValueKind.False => instance.GetRawText(),
        JsonValueKind.Null => "null",
        _ => instance.GetRawText(),
    };

    private static string Append(string path, string name) => path + "/" + name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static string Append(string path, int index) => path + "/" + index.ToString(CultureInfo.InvariantCulture);
}
