using System.IO.Compression;
using System.Text;

namespace Rag.Tests.Extraction;

/// <summary>
/// Writes small PDFs by hand, so tests control exactly which structures (fonts, filters, cross-reference
/// forms, updates) the reader meets. Objects are given as PDF source text; offsets are computed.
/// </summary>
internal sealed class TestPdf
{
    private readonly List<(int Number, byte[] Body)> _objects = [];

    public TestPdf Object(int number, string body) => Object(number, Encoding.Latin1.GetBytes(body));

    public TestPdf Object(int number, byte[] body)
    {
        _objects.Add((number, body));
        return this;
    }

    /// <summary>A stream object; <paramref name="data"/> is stored as given (already encoded by its filters).</summary>
    public TestPdf Stream(int number, string dictionaryEntries, byte[] data) =>
        Object(number, Concat($"<< {dictionaryEntries} /Length {data.Length} >>\nstream\n", data, "\nendstream"));

    /// <summary>Writes header, objects, a classic xref table and trailer.</summary>
    public byte[] Build(string trailerEntries = "/Root 1 0 R")
    {
        var output = new MemoryStream();
        Write(output, "%PDF-1.4\n%\u00E2\u00E3\u00CF\u00D3\n");
        var offsets = WriteObjects(output);
        var xref = output.Position;
        WriteXrefTable(output, offsets);
        Write(output, $"trailer\n<< /Size {offsets.Keys.Max() + 1} {trailerEntries} >>\nstartxref\n{xref}\n%%EOF\n");
        return output.ToArray();
    }

    /// <summary>Appends these objects to <paramref name="original"/> as an incremental update whose trailer points back with /Prev.</summary>
    public byte[] AppendUpdateTo(byte[] original, string trailerEntries = "/Root 1 0 R")
    {
        var text = Encoding.Latin1.GetString(original);
        var previousXref = text[(text.LastIndexOf("startxref", StringComparison.Ordinal) + 9)..].Trim().Split('\n')[0].Trim();
        var output = new MemoryStream();
        output.Write(original);
        var offsets = WriteObjects(output);
        var xref = output.Position;
        WriteXrefTable(output, offsets);
        Write(output, $"trailer\n<< /Size 100 {trailerEntries} /Prev {previousXref} >>\nstartxref\n{xref}\n%%EOF\n");
        return output.ToArray();
    }

    /// <summary>
    /// Writes a PDF 1.5 file: the given objects go into one compressed object stream, found through a
    /// cross-reference stream whose rows use the PNG "Up" predictor.
    /// </summary>
    public byte[] BuildWithObjectStream(int objectStreamNumber, int xrefStreamNumber, string trailerEntries = "/Root 1 0 R")
    {
        var header = new StringBuilder();
        var body = new MemoryStream();
        foreach (var (number, content) in _objects)
        {
            header.Append(number).Append(' ').Append(body.Length).Append(' ');
            body.Write(content);
            body.WriteByte((byte)'\n');
        }

        var headerBytes = Encoding.Latin1.GetBytes(header.ToString());
        var objectStreamData = Deflate(Concat(Encoding.Latin1.GetString(headerBytes), body.ToArray(), ""));
        var output = new MemoryStream();
        Write(output, "%PDF-1.5\n");
        var objectStreamOffset = output.Position;
        Write(output, $"{objectStreamNumber} 0 obj\n<< /Type /ObjStm /N {_objects.Count} /First {headerBytes.Length} /Filter /FlateDecode /Length {objectStreamData.Length} >>\nstream\n");
        output.Write(objectStreamData);
        Write(output, "\nendstream\nendobj\n");
        var xrefOffset = output.Position;

        // Rows: type (1 byte), offset or stream number (4 bytes), generation or index (1 byte).
        var size = Math.Max(xrefStreamNumber, Math.Max(objectStreamNumber, _objects.Max(o => o.Number))) + 1;
        var rows = new byte[size][];
        for (var i = 0; i < size; i++)
        {
            rows[i] = [0, 0, 0, 0, 0, 0];
        }

        for (var i = 0; i < _objects.Count; i++)
        {
            rows[_objects[i].Number] = [2, 0, 0, (byte)(objectStreamNumber >> 8), (byte)objectStreamNumber, (byte)i];
        }

        rows[objectStreamNumber] = Row(1, objectStreamOffset);
        rows[xrefStreamNumber] = Row(1, xrefOffset);
        var predicted = new MemoryStream();
        var previous = new byte[6];
        foreach (var row in rows)
        {
            predicted.WriteByte(2); // PNG "Up": each byte minus the byte above
            for (var i = 0; i < 6; i++)
            {
                predicted.WriteByte(unchecked((byte)(row[i] - previous[i])));
            }

            previous = row;
        }

        var xrefData = Deflate(predicted.ToArray());
        Write(output, $"{xrefStreamNumber} 0 obj\n<< /Type /XRef /Size {size} /W [1 4 1] {trailerEntries} /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 6 >> /Length {xrefData.Length} >>\nstream\n");
        output.Write(xrefData);
        Write(output, $"\nendstream\nendobj\nstartxref\n{xrefOffset}\n%%EOF\n");
        return output.ToArray();

        static byte[] Row(byte type, long offset) => [type, (byte)(offset >> 24), (byte)(offset >> 16), (byte)(offset >> 8), (byte)offset, 0];
    }

    public static byte[] Deflate(byte[] data)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(data);
        }

        return output.ToArray();
    }

    public static byte[] Concat(string prefix, byte[] data, string suffix) =>
        [.. Encoding.Latin1.GetBytes(prefix), .. data, .. Encoding.Latin1.GetBytes(suffix)];

    private Dictionary<int, long> WriteObjects(MemoryStream output)
    {
        var offsets = new Dictionary<int, long>();
        foreach (var (number, body) in _objects)
        {
            offsets[number] = output.Position;
            Write(output, $"{number} 0 obj\n");
            output.Write(body);
            Write(output, "\nendobj\n");
        }

        return offsets;
    }

    private static void WriteXrefTable(MemoryStream output, Dictionary<int, long> offsets)
    {
        Write(output, "xref\n0 1\n0000000000 65535 f \n");
        foreach (var (number, offset) in offsets.OrderBy(o => o.Key))
        {
            Write(output, $"{number} 1\n{offset:D10} 00000 n \n");
        }
    }

    private static void Write(MemoryStream output, string text) => output.Write(Encoding.Latin1.GetBytes(text));
}
