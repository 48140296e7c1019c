using System.Text;

namespace Rag.Core.Extraction.Data;

/// <summary>
/// CSV (RFC 4180): the header row names the fields and each row becomes "name: value; name: value", grouped
/// a few rows per block so that a single row can be found by search and still cited.
/// </summary>
internal sealed class CsvExtractor : IDocumentExtractor
{
    public ExtractedDocument Extract(ReadOnlyMemory<byte> content, ExtractionOptions options, CancellationToken cancellationToken)
    {
        var text = TextDecoding.Decode(content.Span);
        var blocks = new BlockCollector(options);
        string[]? header = null;
        var rows = new StringBuilder();
        var rowsInBlock = 0;
        foreach (var record in ParseRecords(text))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (header is null)
            {
                header = record.Select(BlockCollector.Normalize).ToArray();
                continue;
            }

            var fields = record
                .Select((value, i) => (Name: i < header.Length && header[i].Length > 0 ? header[i] : $"column {i + 1}", Value: BlockCollector.Normalize(value)))
                .Where(field => field.Value.Length > 0)
                .Select(field => $"{field.Name}: {field.Value}");
            var line = string.Join("; ", fields);
            if (line.Length == 0)
            {
                continue;
            }

            rows.Append(line).Append('\n');
            if (++rowsInBlock == options.CsvRowsPerBlock)
            {
                blocks.AddLines(BlockKind.Table, rows.ToString());
                rows.Clear();
                rowsInBlock = 0;
            }
        }

        blocks.AddLines(BlockKind.Table, rows.ToString());
        return blocks.ToDocument(null);
    }

    /// <summary>Splits RFC 4180 records: quoted fields may hold commas, line breaks and doubled quotes.</summary>
    internal static IEnumerable<List<string>> ParseRecords(string text)
    {
        var record = new List<string>();
        var field = new StringBuilder();
        var inQuotes = false;
        var recordHasContent = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inQuotes)
            {
                if (c != '"')
                {
                    field.Append(c);
                }
                else if (i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else
                {
                    inQuotes = false;
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    inQuotes = true;
                    recordHasContent = true;
                    break;
                case ',':
                    record.Add(field.ToString());
                    field.Clear();
                    recordHasContent = true;
                    break;
                case '\r' or '\n':
                    if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                    {
                        i++;
                    }

                    if (recordHasContent || field.Length > 0)
                    {
                        record.Add(field.ToString());
                        yield return record;
                        record = [];
                    }

                    field.Clear();
                    recordHasContent = false;
                    break;
                default:
                    field.Append(c);
                    break;
            }
        }

        if (recordHasContent || field.Length > 0)
        {
            record.Add(field.ToString());
            yield return record;
        }
    }
}
