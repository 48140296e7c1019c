using System.Text.Json;

namespace Rag.Tests.Contracts;

public class JsonSchemaValidatorTests
{
    // Each row: dialect, schema, instance, the keyword expected to fail (null when the instance is valid).
    public static TheoryData<SchemaDialect, string, string, string?> KeywordCases => new()
    {
        { SchemaDialect.Draft07, """{"type":"string"}""", "\"a\"", null },
        { SchemaDialect.Draft07, """{"type":"string"}""", "1", "type" },
        { SchemaDialect.Draft07, """{"type":"integer"}""", "3", null },
        { SchemaDialect.Draft07, """{"type":"integer"}""", "3.5", "type" },
        { SchemaDialect.Draft07, """{"type":"number"}""", "3.5", null },
        { SchemaDialect.Draft07, """{"type":["string","null"]}""", "null", null },
        { SchemaDialect.Draft07, """{"type":["string","null"]}""", "true", "type" },
        { SchemaDialect.Draft07, """{"type":"boolean"}""", "false", null },
        { SchemaDialect.Draft07, """{"type":"object"}""", "[]", "type" },
        { SchemaDialect.Draft07, """{"type":"array"}""", "[]", null },
        { SchemaDialect.Draft07, """{"enum":["a",1]}""", "1", null },
        { SchemaDialect.Draft07, """{"enum":["a",1]}""", "\"b\"", "enum" },
        { SchemaDialect.Draft07, """{"const":{"x":[1,2]}}""", """{"x":[1,2]}""", null },
        { SchemaDialect.Draft07, """{"const":"project.v0"}""", "\"project.v1\"", "const" },
        { SchemaDialect.Draft07, """{"required":["a"]}""", """{"a":1}""", null },
        { SchemaDialect.Draft07, """{"required":["a"]}""", """{"b":1}""", "required" },
        { SchemaDialect.Draft07, """{"properties":{"a":{"type":"string"}}}""", """{"a":"x","b":2}""", null },
        { SchemaDialect.Draft07, """{"properties":{"a":{"type":"string"}}}""", """{"a":2}""", "type" },
        { SchemaDialect.Draft07, """{"properties":{"a":{}},"additionalProperties":false}""", """{"a":1}""", null },
        { SchemaDialect.Draft07, """{"properties":{"a":{}},"additionalProperties":false}""", """{"a":1,"b":2}""", "additionalProperties" },
        { SchemaDialect.Draft07, """{"additionalProperties":{"type":"integer"}}""", """{"b":"x"}""", "type" },
        { SchemaDialect.Draft07, """{"patternProperties":{"^x-":{"type":"string"}},"additionalProperties":false}""", """{"x-a":"s"}""", null },
        { SchemaDialect.Draft07, """{"patternProperties":{"^x-":{"type":"string"}},"additionalProperties":false}""", """{"x-a":1}""", "type" },
        { SchemaDialect.Draft07, """{"patternProperties":{"^x-":{}},"additionalProperties":false}""", """{"y":1}""", "additionalProperties" },
        { SchemaDialect.Draft07, """{"minProperties":1}""", "{}", "minProperties" },
        { SchemaDialect.Draft07, """{"maxProperties":1}""", """{"a":1,"b":2}""", "maxProperties" },
        { SchemaDialect.Draft07, """{"items":{"type":"integer"}}""", "[1,2]", null },
        { SchemaDialect.Draft07, """{"items":{"type":"integer"}}""", "[1,\"2\"]", "type" },
        { SchemaDialect.Draft07, """{"items":[{"type":"integer"},{"type":"string"}]}""", "[1,\"a\"]", null },
        { SchemaDialect.Draft07, """{"items":[{"type":"integer"},{"type":"string"}]}""", "[1,2]", "type" },
        { SchemaDialect.Draft07, """{"minItems":2}""", "[1]", "minItems" },
        { SchemaDialect.Draft07, """{"maxItems":1}""", "[1,2]", "maxItems" },
        { SchemaDialect.Draft07, """{"uniqueItems":true}""", "[1,2]", null },
        { SchemaDialect.Draft07, """{"uniqueItems":true}""", "[{\"a\":1},{\"a\":1.0}]", "uniqueItems" },
        { SchemaDialect.Draft07, """{"anyOf":[{"type":"string"},{"type":"integer"}]}""", "2", null },
        { SchemaDialect.Draft07, """{"anyOf":[{"type":"string"},{"type":"integer"}]}""", "2.5", "anyOf" },
        { SchemaDialect.Draft07, """{"oneOf":[{"type":"integer"},{"type":"number"}]}""", "2.5", null },
        { SchemaDialect.Draft07, """{"oneOf":[{"type":"integer"},{"type":"number"}]}""", "2", "oneOf" },
        { SchemaDialect.Draft07, """{"oneOf":[{"type":"integer"},{"type":"string"}]}""", "true", "oneOf" },
        { SchemaDialect.Draft07, """{"allOf":[{"minimum":1},{"maximum":3}]}""", "2", null },
        { SchemaDialect.Draft07, """{"allOf":[{"minimum":1},{"maximum":3}]}""", "4", "maximum" },
        { SchemaDialect.Draft07, """{"minimum":1}""", "0", "minimum" },
        { SchemaDialect.Draft07, """{"not":{"type":"string"}}""", "1", null },
        { SchemaDialect.Draft07, """{"not":{"type":"string"}}""", "\"s\"", "not" },
        { SchemaDialect.Draft07, """{"minLength":2}""", "\"a\"", "minLength" },
        { SchemaDialect.Draft07, """{"maxLength":2}""", "\"abc\"", "maxLength" },
        { SchemaDialect.Draft07, """{"pattern":"^[a-z]+$"}""", "\"abc\"", null },
        { SchemaDialect.Draft07, """{"pattern":"^[a-z]+$"}""", "\"ab1\"", "pattern" },
        { SchemaDialect.Draft07, """{"if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]},"else":{"required":["y"]}}""", """{"k":"a","x":1}""", null },
        { SchemaDialect.Draft07, """{"if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]},"else":{"required":["y"]}}""", """{"k":"a","y":1}""", "required" },
        { SchemaDialect.Draft07, """{"if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]},"else":{"required":["y"]}}""", """{"k":"b","x":1}""", "required" },
        { SchemaDialect.Draft07, """{"definitions":{"n":{"type":"integer"}},"properties":{"a":{"$ref":"#/definitions/n"}}}""", """{"a":1}""", null },
        { SchemaDialect.Draft07, """{"definitions":{"n":{"type":"integer"}},"properties":{"a":{"$ref":"#/definitions/n"}}}""", """{"a":"1"}""", "type" },
        // Draft-07 ignores a $ref's siblings; 2019-09 applies them too.
        { SchemaDialect.Draft07, """{"definitions":{"n":{"type":"integer"}},"properties":{"a":{"$ref":"#/definitions/n","minimum":5}}}""", """{"a":1}""", null },
        { SchemaDialect.Draft201909, """{"definitions":{"n":{"type":"integer"}},"properties":{"a":{"$ref":"#/definitions/n","minimum":5}}}""", """{"a":1}""", "minimum" },
        { SchemaDialect.Draft201909, """{"title":"t","description":"d","markdownDescription":"m","examples":[1],"default":1,"deprecated":true,"$comment":"c"}""", "1", null },
        { SchemaDialect.OpenApi30, """{"type":"integer","nullable":true}""", "null", null },
        { SchemaDialect.OpenApi30, """{"type":"integer"}""", "null", "type" },
        { SchemaDialect.OpenApi30, """{"anyOf":[{"type":"integer"},{"nullable":true}]}""", "null", null },
        { SchemaDialect.OpenApi30, """{"anyOf":[{"type":"integer"},{"nullable":true}]}""", "\"x\"", "anyOf" },
        { SchemaDialect.OpenApi30, """{"type":"integer","format":"uint64","example":3}""", "18446744073709551615", null },
        { SchemaDialect.OpenApi30, """{"type":"integer","format":"uint64"}""", "-1", "format" },
        { SchemaDialect.OpenApi30, """{"type":"integer","format":"uint32"}""", "4294967296", "format" },
        { SchemaDialect.OpenApi30, """{"type":"integer","format":"uint8"}""", "256", "format" },
        { SchemaDialect.OpenApi30, """{"type":"integer","format":"int64"}""", "-9223372036854775808", null },
        { SchemaDialect.OpenApi30, """{"type":"integer","format":"int64"}""", "9223372036854775808", "format" },
        { SchemaDialect.OpenApi30, """{"type":"integer","format":"uint"}""", "1.5", "type" },
        { SchemaDialect.OpenApi30, """{"type":"number","format":"float"}""", "1.5", null },
        { SchemaDialect.OpenApi30, """{"type":"number","format":"float"}""", "1e300", "format" },
        { SchemaDialect.OpenApi30, """{"type":"number","format":"double"}""", "1e300", null },
        { SchemaDialect.OpenApi30, """{"type":"string","format":"uuid"}""", "\"550e8400-e29b-41d4-a716-446655440000\"", null },
        { SchemaDialect.OpenApi30, """{"type":"string","format":"uuid"}""", "\"550e8400\"", "format" },
        { SchemaDialect.OpenApi30, """{"type":"string","format":"date-time"}""", "\"2024-07-22T08:31:55Z\"", null },
        { SchemaDialect.OpenApi30, """{"type":"string","format":"date-time"}""", "\"yesterday\"", "format" },
        { SchemaDialect.OpenApi30, """{"type":"string","format":"partial-date-time"}""", "\"2022-08-04T10:49:10\"", null },
        { SchemaDialect.OpenApi30, """{"type":"string","format":"uri"}""", "\"relative/path\"", "format" },
        { SchemaDialect.OpenApi30, """{"type":"string","format":"binary","x-extension":1}""", "\"bytes\"", null },
    };

    [Theory]
    [MemberData(nameof(KeywordCases))]
    public void EachKeywordAcceptsWhatItAllowsAndRejectsTheRest(SchemaDialect dialect, string schema, string instance, string? failingKeyword)
    {
        var violations = Validate(dialect, schema, instance);

        if (failingKeyword is null)
        {
            Assert.Empty(violations);
        }
        else
        {
            Assert.Contains(violations, v => v.Keyword == failingKeyword);
        }
    }

    [Fact]
    public void ViolationsCarryTheInstancePathOfTheOffendingValue()
    {
        var violations = Validate(SchemaDialect.Draft07,
            """{"properties":{"resources":{"additionalProperties":{"properties":{"ports":{"items":{"type":"integer"}}}}}}}""",
            """{"resources":{"a/b":{"ports":[1,"x"]}}}""");

        var violation = Assert.Single(violations);
        Assert.Equal("/resources/a~1b/ports/1", violation.InstancePath);
        Assert.Equal("type", violation.Keyword);
    }

    [Theory]
    [InlineData(SchemaDialect.Draft07, """{"exclusiveMinimum":1}""")]
    [InlineData(SchemaDialect.Draft07, """{"nullable":true}""")]
    [InlineData(SchemaDialect.Draft201909, """{"unevaluatedProperties":false}""")]
    [InlineData(SchemaDialect.OpenApi30, """{"type":"string","format":"email"}""")]
    public void UnknownKeywordsAndFormatsThrowInsteadOfBeingIgnored(SchemaDialect dialect, string schema)
    {
        using var document = JsonDocument.Parse(schema);
        var validator = new JsonSchemaValidator(document.RootElement, dialect);

        Assert.Throws<UnsupportedSchemaException>(() => validator.CheckKeywords(document.RootElement));
        using var instance = JsonDocument.Parse("\"x\"");
        Assert.Throws<UnsupportedSchemaException>(() => validator.Validate(instance.RootElement));
    }

    [Fact]
    public void ExternalReferencesResolveOnlyToRegisteredStandIns()
    {
        const string Remote = "https://example.test/schemas/thing.json";
        using var schema = JsonDocument.Parse("{\"properties\":{\"thing\":{\"$ref\":\"" + Remote + "\"}}}");
        using var stub = JsonDocument.Parse("""{"definitions":{"n":{"type":"integer"}},"properties":{"n":{"$ref":"#/definitions/n"}}}""");
        using var instance = JsonDocument.Parse("""{"thing":{"n":"not a number"}}""");
        var validator = new JsonSchemaValidator(schema.RootElement, SchemaDialect.Draft201909);

        var unregistered = Assert.Throws<UnsupportedSchemaException>(() => validator.Validate(instance.RootElement));
        Assert.Contains(Remote, unregistered.Message, StringComparison.Ordinal);

        validator.RegisterExternalSchema(Remote, stub.RootElement);
        var violation = Assert.Single(validator.Validate(instance.RootElement));
        Assert.Equal("/thing/n", violation.InstancePath);
    }

    private static IReadOnlyList<SchemaViolation> Validate(SchemaDialect dialect, string schema, string instance)
    {
        using var schemaDocument = JsonDocument.Parse(schema);
        using var instanceDocument = JsonDocument.Parse(instance);
        var validator = new JsonSchemaValidator(schemaDocument.RootElement, dialect);
        validator.CheckKeywords(schemaDocument.RootElement);
        return validator.Validate(instanceDocument.RootElement);
    }
}
