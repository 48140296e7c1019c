using System.Buffers.Binary;
using System.IO.Compression;

namespace Rag.Core.Extraction.Docx;

/// <summary>One file listed in a ZIP archive's central directory, with the sizes it declares.</summary>
internal sealed record ZipEntry(string Name, int Method, long CompressedSize, long UncompressedSize, long LocalHeaderOffset);

/// <summary>
/// Reads a ZIP archive's central directory straight from bytes, so the archive can be judged (is it a Word
/// document? is it a bomb?) before anything is inflated, and entries inflated under our own byte cap.
/// </summary>
internal static class ZipCentralDirectory
{
    private const uint EndOfCentralDirectorySignature = 0x06054b50;
    private const uint CentralHeaderSignature = 0x02014b50;
    private const uint LocalHeaderSignature = 0x04034b50;
    private const int EndOfCentralDirectorySize = 22;
    private const int MethodStored = 0;
    private const int MethodDeflate = 8;

    public static bool LooksLikeZip(ReadOnlySpan<byte> content) =>
        content.Length >= 4 && content[0] == (byte)'P' && content[1] == (byte)'K' &&
        ((content[2] == 3 && content[3] == 4) || (content[2] == 5 && content[3] == 6));

    /// <summary>Lists the archive's entries, or says in words why the archive cannot be read.</summary>
    public static bool TryRead(ReadOnlySpan<byte> content, int maxEntries, out IReadOnlyList<ZipEntry> entries, out string? error)
    {
        entries = [];
        var end = FindEndOfCentralDirectory(content);
        if (end < 0)
        {
            error = "the ZIP archive is truncated or damaged (its central directory is missing)";
            return false;
        }

        int count = BinaryPrimitives.ReadUInt16LittleEndian(content[(end + 10)..]);
        long directorySize = BinaryPrimitives.ReadUInt32LittleEndian(content[(end + 12)..]);
        long directoryOffset = BinaryPrimitives.ReadUInt32LittleEndian(content[(end + 16)..]);
        if (count == 0xFFFF || directoryOffset == 0xFFFFFFFF)
        {
            error = "ZIP64 archives are not supported";
            return false;
        }

        if (count > maxEntries)
        {
            error = $"the ZIP archive lists {count:N0} entries, more than the limit of {maxEntries:N0}";
            return false;
        }

        if (directoryOffset + directorySize > end)
        {
            error = "the ZIP archive is truncated or damaged (its central directory points past the end)";
            return false;
        }

        var list = new List<ZipEntry>(count);
        var position = (int)directoryOffset;
        for (var i = 0; i < count; i++)
        {
            if (position + 46 > end || BinaryPrimitives.ReadUInt32LittleEndian(content[position..]) != CentralHeaderSignature)
            {
                error = "the ZIP archive's central directory is damaged";
                return false;
            }

            var header = content[position..];
            int method = BinaryPrimitives.ReadUInt16LittleEndian(header[10..]);
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
            long uncompressed = BinaryPrimitives.ReadUInt32LittleEndian(header[24..]);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header[28..]);
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header[30..]);
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(header[32..]);
            long localOffset = BinaryPrimitives.ReadUInt32LittleEndian(header[42..]);
            if (position + 46 + nameLength > end)
            {
                error = "the ZIP archive's central directory is damaged";
                return false;
            }

            var name = System.Text.Encoding.UTF8.GetString(header.Slice(46, nameLength));
            list.Add(new ZipEntry(name, method, compressed, uncompressed, localOffset));
            position += 46 + nameLength + extraLength + commentLength;
        }

        entries = list;
        error = null;
        return true;
    }

    /// <summary>
    /// Inflates one entry, refusing to produce more than <paramref name="maxBytes"/>: the declared size is
    /// checked first, and the bytes actually produced are counted too, because declared sizes can lie.
    /// </summary>
    public static byte[] ReadEntry(ReadOnlyMemory<byte> archive, ZipEntry entry, long maxBytes, CancellationToken cancellationToken)
    {
        if (entry.UncompressedSize > maxBytes)
        {
            throw new ExtractionException($"The archive entry '{entry.Name}' declares {entry.UncompressedSize:N0} bytes, more than the limit of {maxBytes:N0}.");
        }

        var span = archive.Span;
        var local = entry.LocalHeaderOffset;
        if (local + 30 > span.Length || BinaryPrimitives.ReadUInt32LittleEndian(span[(int)local..]) != LocalHeaderSignature)
        {
            throw new ExtractionException($"The archive entry '{entry.Name}' is damaged (bad local header).");
        }

        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(span[((int)local + 26)..]);
        int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(span[((int)local + 28)..]);
        var dataStart = local + 30 + nameLength + extraLength;
        if (dataStart + entry.CompressedSize > span.Length)
        {
            throw new ExtractionException($"The archive entry '{entry.Name}' is truncated.");
        }

        var data = archive.Slice((int)dataStart, (int)entry.CompressedSize);
        switch (entry.Method)
        {
            case MethodStored:
                return data.ToArray();
            case MethodDeflate:
                using (var inflater = new DeflateStream(new MemoryStream(data.ToArray(), writable: false), CompressionMode.Decompress))
                {
                    return BoundedRead.ReadAll(inflater, maxBytes, $"the archive entry '{entry.Name}'", cancellationToken);
                }

            default:
                throw new ExtractionException($"The archive entry '{entry.Name}' uses an unsupported compression method ({entry.Method}).");
        }
    }

    private static int FindEndOfCentralDirectory(ReadOnlySpan<byte> content)
    {
        // The record sits at the end, after a comment of at most 65,535 bytes.
        var lowest = Math.Max(0, content.Length - EndOfCentralDirectorySize - ushort.MaxValue);
        for (var i = content.Length - EndOfCentralDirectorySize; i >= lowest; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(content[i..]) == EndOfCentralDirectorySignature)
            {
                return i;
            }
        }

        return -1;
    }
}
