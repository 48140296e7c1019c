namespace Rag.Core;

// The names the AppHost gives its resources. Services read their configuration under these names
// (ConnectionStrings:cache, ConnectionStrings:ragdb, services:api:http:0), whoever starts them.
public static class ResourceNames
{
    public const string Cache = "cache";
    public const string Postgres = "postgres";
    public const string Database = "ragdb";
    public const string Qdrant = "qdrant";
    public const string QdrantHttpConnection = "qdrant_http";
    public const string Api = "api";
    public const string Ingestion = "ingestion";
    public const string Web = "web";
}
