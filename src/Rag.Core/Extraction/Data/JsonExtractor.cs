using System.Text;
using System.Text.Json;

namespace Rag.Core.Extraction.Data;

/// <summary>
/// JSON flattened to "path.to.field: value" lines, one block per top-level member or array element. The
/// reader is forward-only and keeps the path in a list, so nesting depth costs no stack.
/// </summary>
internal sealed class JsonExtractor : IDocumentExtractor
{
    public ExtractedDocument Extract(ReadOnlyMemory<byte> content, ExtractionOptions options, CancellationToken cancellationToken)
    {
        var blocks = new BlockCollector(options);
        var reader = new Utf8JsonReader(TextDecoding.WithoutUtf8Bom(content.Span), new JsonReaderOptions
        {
            // One more than our limit, so that our own, clearer depth check fires first.
            MaxDepth = options.MaxJsonDepth + 1,
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });

        // Each open container: its path and, for arrays, the index of the next element.
        var containers = new List<(string Path, int NextIndex, bool IsArray)>();
        var lines = new StringBuilder();
        string? propertyName = null;
        try
        {
            while (reader.Read())
            {
                cancellationToken.ThrowIfCancellationRequested();
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        propertyName = reader.GetString();
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        if (containers.Count >= options.MaxJsonDepth)
                        {
                            throw new ExtractionException($"The JSON nests deeper than the limit of {options.MaxJsonDepth} levels.");
                        }

                        containers.Add((containers.Count == 0 ? "" : ChildPath(containers, ref propertyName), 0, reader.TokenType == JsonTokenType.StartArray));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        containers.RemoveAt(containers.Count - 1);
                        if (containers.Count == 1)
                        {
                            FlushGroup(blocks, lines);
                        }

                        break;
                    default:
                        var value = reader.TokenType == JsonTokenType.String ? reader.GetString() : Encoding.UTF8.GetString(reader.ValueSpan);
                        var path = containers.Count == 0 ? "value" : ChildPath(containers, ref propertyName);
                        lines.Append(path).Append(": ").Append(value).Append('\n');
                        if (containers.Count <= 1)
                        {
                            FlushGroup(blocks, lines);
                        }

                        break;
                }
            }
        }
        catch (JsonException ex)
        {
            throw new ExtractionException($"The JSON is not valid (line {ex.LineNumber + 1}).", ex);
        }
        catch (InvalidOperationException ex)
        {
            // The reader raises this when a string's bytes are not valid UTF-8.
            throw new ExtractionException("The JSON holds a string that is not valid UTF-8.", ex);
        }

        FlushGroup(blocks, lines);
        return blocks.ToDocument(null);
    }

    private static string ChildPath(List<(string Path, int NextIndex, bool IsArray)> containers, ref string? propertyName)
    {
        var parent = containers[^1];
        string path;
        if (parent.IsArray)
        {
            path = $"{parent.Path}[{parent.NextIndex}]";
            containers[^1] = parent with { NextIndex = parent.NextIndex + 1 };
        }
        else
        {
            path = parent.Path.Length == 0 ? propertyName ?? "" : $"{parent.Path}.{propertyName}";
        }

        propertyName = null;
        return path;
    }

    private static void FlushGroup(BlockCollector blocks, StringBuilder lines)
    {
        blocks.AddLines(BlockKind.Paragraph, lines.ToString());
        lines.Clear();
    }
}
