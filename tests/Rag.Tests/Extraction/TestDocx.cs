using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Rag.Tests.Extraction;

/// <summary>Builds Word documents (and hostile imitations of them) byte by byte for the tests.</summary>
internal static class TestDocx
{
    public const string WordNamespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

    private const string ContentTypesXml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">" +
        "<Default Extension=\"xml\" ContentType=\"application/xml\"/>" +
        "<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>";

    public static byte[] Build(string bodyXml, string? stylesXml = null)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(archive, "[Content_Types].xml", ContentTypesXml);
            Add(archive, "word/document.xml", $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document xmlns:w=\"{WordNamespace}\"><w:body>{bodyXml}</w:body></w:document>");
            if (stylesXml is not null)
            {
                Add(archive, "word/styles.xml", $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:styles xmlns:w=\"{WordNamespace}\">{stylesXml}</w:styles>");
            }
        }

        return buffer.ToArray();
    }

    private static void Add(ZipArchive archive, string name, string content)
    {
        using var writer = new StreamWriter(archive.CreateEntry(name).Open(), new UTF8Encoding(false));
        writer.Write(content);
    }

    public static string Paragraph(string text, string? style = null, bool numbered = false) =>
        "<w:p><w:pPr>" + (style is null ? "" : $"<w:pStyle w:val=\"{style}\"/>") +
        (numbered ? "<w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"1\"/></w:numPr>" : "") +
        $"</w:pPr><w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>";

    /// <summary>
    /// A DOCX whose word/document.xml inflates to <paramref name="inflatedMegabytes"/> MB of zeros from a
    /// couple of kilobytes per megabyte, declaring <paramref name="declaredSize"/> in the central directory.
    /// The deflate data is a repeated, self-contained block, so the bomb is built without ever inflating it.
    /// </summary>
    public static byte[] ZipBomb(int inflatedMegabytes, uint declaredSize)
    {
        byte[] megabyteBlock;
        using (var compressed = new MemoryStream())
        {
            // A sync flush ends the block on a byte boundary without marking it final, so copies can be chained.
            var deflater = new DeflateStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true);
            deflater.Write(new byte[1024 * 1024]);
            deflater.Flush();
            megabyteBlock = compressed.ToArray();
        }

        var deflateData = new MemoryStream();
        for (var i = 0; i < inflatedMegabytes; i++)
        {
            deflateData.Write(megabyteBlock);
        }

        deflateData.Write([0x03, 0x00]); // an empty final block
        var entries = new List<(string Name, byte[] Data, int Method, uint DeclaredSize)>
        {
            ("[Content_Types].xml", Encoding.UTF8.GetBytes(ContentTypesXml), 0, (uint)ContentTypesXml.Length),
            ("word/document.xml", deflateData.ToArray(), 8, declaredSize),
        };
        return WriteZip(entries);
    }

    private static byte[] WriteZip(List<(string Name, byte[] Data, int Method, uint DeclaredSize)> entries)
    {
        var output = new MemoryStream();
        var central = new MemoryStream();
        foreach (var (name, data, method, declaredSize) in entries)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            var offset = (uint)output.Position;
            output.Write(Header(0x04034b50, 30, method, (uint)data.Length, declaredSize, nameBytes.Length, 0));
            output.Write(nameBytes);
            output.Write(data);
            central.Write(Header(0x02014b50, 46, method, (uint)data.Length, declaredSize, nameBytes.Length, offset));
            central.Write(nameBytes);
        }

        var centralOffset = (uint)output.Position;
        output.Write(central.ToArray());
        var end = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(8), (ushort)entries.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(10), (ushort)entries.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(12), (uint)central.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(16), centralOffset);
        output.Write(end);
        return output.ToArray();
    }

    private static byte[] Header(uint signature, int size, int method, uint compressed, uint uncompressed, int nameLength, uint localOffset)
    {
        var header = new byte[size];
        BinaryPrimitives.WriteUInt32LittleEndian(header, signature);
        var central = signature == 0x02014b50;
        var shift = central ? 2 : 0; // the central header has an extra "version made by" field
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4 + shift), 20);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8 + shift), (ushort)method);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(18 + shift), compressed);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(22 + shift), uncompressed);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(26 + shift), (ushort)nameLength);
        if (central)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(42), localOffset);
        }

        return header;
    }
}
