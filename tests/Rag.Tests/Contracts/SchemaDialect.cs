namespace Rag.Tests.Contracts;

/// <summary>The three schema languages our contract files are written in.</summary>
public enum SchemaDialect
{
    /// <summary>OpenAPI 3.0 Schema Objects: <c>nullable</c>, <c>example</c>, <c>x-</c> extensions; $ref replaces its siblings.</summary>
    OpenApi30,

    /// <summary>JSON Schema draft-07: $ref replaces its siblings.</summary>
    Draft07,

    /// <summary>JSON Schema 2019-09: $ref is evaluated alongside its siblings.</summary>
    Draft201909,
}
