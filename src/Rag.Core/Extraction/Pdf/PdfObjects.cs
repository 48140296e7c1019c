using System.Text;

namespace Rag.Core.Extraction.Pdf;

// PDF values are held as plain CLR objects: double (numbers), bool, PdfNull, and the types below.

internal sealed record PdfName(string Value)
{
    public override string ToString() => "/" + Value;
}

internal sealed record PdfReference(int Number, int Generation);

/// <summary>A bare keyword in a content stream: an operator such as Tj or BT.</summary>
internal sealed record PdfOperator(string Value);

internal sealed class PdfNull
{
    public static readonly PdfNull Instance = new();

    private PdfNull()
    {
    }
}

internal sealed class PdfString(byte[] bytes)
{
    public byte[] Bytes { get; } = bytes;

    /// <summary>Text strings (metadata) are PDFDocEncoding or UTF-16BE with a BOM.</summary>
    public string ToText() =>
        Bytes is [0xFE, 0xFF, ..] ? Encoding.BigEndianUnicode.GetString(Bytes, 2, Bytes.Length - 2) : Encoding.Latin1.GetString(Bytes);
}

internal sealed class PdfArray : List<object>;

internal sealed class PdfDictionary : Dictionary<string, object>
{
    public object? GetRaw(string key) => TryGetValue(key, out var value) ? value : null;
}

internal sealed class PdfStream(PdfDictionary dictionary, ReadOnlyMemory<byte> rawData)
{
    public PdfDictionary Dictionary { get; } = dictionary;

    /// <summary>The stream's bytes as stored in the file, still encoded by its filters.</summary>
    public ReadOnlyMemory<byte> RawData { get; } = rawData;
}
