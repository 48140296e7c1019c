using System.IO.Compression;

namespace Rag.Core.Extraction.Pdf;

/// <summary>
/// Decodes stream data through its /Filter chain. Every decoder writes into a <see cref="DecodeBudget"/>,
/// so a small stream cannot inflate to unbounded memory.
/// </summary>
internal static class PdfFilters
{
    public static byte[] Decode(PdfStream stream, PdfFile file, DecodeBudget budget, CancellationToken cancellationToken)
    {
        var filters = file.Resolve(stream.Dictionary.GetRaw("Filter")) switch
        {
            PdfName name => [name.Value],
            PdfArray array => array.Select(f => (file.Resolve(f) as PdfName)?.Value ?? "?").ToArray(),
            _ => Array.Empty<string>(),
        };
        var parameters = file.Resolve(stream.Dictionary.GetRaw("DecodeParms")) switch
        {
            PdfDictionary single => [single],
            PdfArray array => array.Select(p => file.Resolve(p) as PdfDictionary).ToArray(),
            _ => Array.Empty<PdfDictionary?>(),
        };

        var data = stream.RawData.ToArray();
        for (var i = 0; i < filters.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var parms = i < parameters.Length ? parameters[i] : null;
            data = filters[i] switch
            {
                "FlateDecode" or "Fl" => Predictors.Apply(Inflate(data, budget, cancellationToken), parms, file),
                "LZWDecode" or "LZW" => Predictors.Apply(Lzw(data, parms, file, budget), parms, file),
                "ASCIIHexDecode" or "AHx" => AsciiHex(data),
                "ASCII85Decode" or "A85" => Ascii85(data),
                "RunLengthDecode" or "RL" => RunLength(data, budget),
                _ => throw new PdfFormatException($"the stream uses the unsupported filter /{filters[i]}"),
            };
            budget.Charge(data.Length);
        }

        return data;
    }

    private static byte[] Inflate(byte[] data, DecodeBudget budget, CancellationToken cancellationToken)
    {
        // Most writers emit a zlib header; some emit raw deflate, and some zlib streams end without a valid checksum.
        var hasZlibHeader = data.Length >= 2 && (data[0] & 0x0F) == 8 && ((data[0] << 8) | data[1]) % 31 == 0;
        var offset = hasZlibHeader ? 2 : 0;
        using var inflater = new DeflateStream(new MemoryStream(data, offset, data.Length - offset, writable: false), CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[65536];
        try
        {
            int read;
            while ((read = inflater.Read(buffer, 0, buffer.Length)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                budget.Check(output.Length + read);
                output.Write(buffer, 0, read);
            }
        }
        catch (InvalidDataException) when (output.Length > 0)
        {
            // Keep what inflated cleanly: truncated streams still carry most of a page's text.
        }
        catch (InvalidDataException)
        {
            throw new PdfFormatException("a compressed stream is damaged");
        }

        return output.ToArray();
    }

    private static byte[] AsciiHex(byte[] data)
    {
        var output = new List<byte>(data.Length / 2);
        int? high = null;
        foreach (var c in data)
        {
            if (c == '>')
            {
                break;
            }

            if (!PdfLexer.IsHex(c))
            {
                continue;
            }

            if (high is null)
            {
                high = PdfLexer.HexValue(c);
            }
            else
            {
                output.Add((byte)((high.Value << 4) | PdfLexer.HexValue(c)));
                high = null;
            }
        }

        if (high is not null)
        {
            output.Add((byte)(high.Value << 4));
        }

        return [.. output];
    }

    private static byte[] Ascii85(byte[] data)
    {
        var output = new List<byte>(data.Length * 4 / 5);
        Span<int> group = stackalloc int[5];
        var count = 0;
        var start = data.Length >= 2 && data[0] == '<' && data[1] == '~' ? 2 : 0;
        for (var i = start; i < data.Length; i++)
        {
            var c = data[i];
            if (c == '~')
            {
                break;
            }

            if (PdfLexer.IsWhitespace(c))
            {
                continue;
            }

            if (c == 'z' && count == 0)
            {
                output.AddRange([0, 0, 0, 0]);
                continue;
            }

            if (c is < (byte)'!' or > (byte)'u')
            {
                throw new PdfFormatException("an ASCII85 stream holds an invalid character");
            }

            group[count++] = c - '!';
            if (count == 5)
            {
                AppendGroup(group, 4, output);
                count = 0;
            }
        }

        if (count > 1)
        {
            for (var i = count; i < 5; i++)
            {
                group[i] = 84;
            }

            AppendGroup(group, count - 1, output);
        }

        return [.. output];

        static void AppendGroup(Span<int> group, int bytes, List<byte> output)
        {
            uint value = 0;
            foreach (var digit in group)
            {
                value = unchecked((value * 85) + (uint)digit);
            }

            for (var i = 0; i < bytes; i++)
            {
                output.Add((byte)(value >> (24 - (8 * i))));
            }
        }
    }

    private static byte[] RunLength(byte[] data, DecodeBudget budget)
    {
        var output = new List<byte>(data.Length * 2);
        for (var i = 0; i < data.Length;)
        {
            var length = data[i++];
            if (length == 128)
            {
                break;
            }

            if (length < 128)
            {
                var count = Math.Min(length + 1, data.Length - i);
                output.AddRange(data.AsSpan(i, count));
                i += count;
            }
            else if (i < data.Length)
            {
                output.AddRange(Enumerable.Repeat(data[i++], 257 - length));
            }

            budget.Check(output.Count);
        }

        return [.. output];
    }

    private static byte[] Lzw(byte[] data, PdfDictionary? parms, PdfFile file, DecodeBudget budget)
    {
        var earlyChange = parms is not null && file.Resolve(parms.GetRaw("EarlyChange")) is double e ? (int)e : 1;
        var table = new List<byte[]>(4096);
        void Reset()
        {
            table.Clear();
            for (var i = 0; i < 256; i++)
            {
                table.Add([(byte)i]);
            }

            table.Add([]); // 256: clear-table
            table.Add([]); // 257: end-of-data
        }

        Reset();
        using var output = new MemoryStream();
        var codeLength = 9;
        byte[]? previous = null;
        var bitBuffer = 0;
        var bitCount = 0;
        foreach (var b in data)
        {
            bitBuffer = (bitBuffer << 8) | b;
            bitCount += 8;
            while (bitCount >= codeLength)
            {
                var code = (bitBuffer >> (bitCount - codeLength)) & ((1 << codeLength) - 1);
                bitCount -= codeLength;
                if (code == 256)
                {
                    Reset();
                    codeLength = 9;
                    previous = null;
                    continue;
                }

                if (code == 257)
                {
                    return output.ToArray();
                }

                byte[] entry;
                if (code < table.Count)
                {
                    entry = table[code];
                }
                else if (code == table.Count && previous is not null)
                {
                    entry = [.. previous, previous[0]];
                }
                else
                {
                    throw new PdfFormatException("an LZW stream is damaged");
                }

                output.Write(entry);
                budget.Check(output.Length);
                if (previous is not null && table.Count < 4096)
                {
                    table.Add([.. previous, entry[0]]);
                }

                previous = entry;
                codeLength = (table.Count + earlyChange) switch
                {
                    >= 2048 => 12,
                    >= 1024 => 11,
                    >= 512 => 10,
                    _ => 9,
                };
            }
        }

        return output.ToArray();
    }
}

/// <summary>Undoes the PNG and TIFF predictors that Flate and LZW streams (notably xref streams) use.</summary>
internal static class Predictors
{
    public static byte[] Apply(byte[] data, PdfDictionary? parms, PdfFile file)
    {
        var predictor = Number(parms, "Predictor", 1, file);
        if (predictor <= 1)
        {
            return data;
        }

        var colors = Math.Clamp(Number(parms, "Colors", 1, file), 1, 32);
        var bits = Math.Clamp(Number(parms, "BitsPerComponent", 8, file), 1, 16);
        var columns = Math.Clamp(Number(parms, "Columns", 1, file), 1, 1 << 20);
        var bytesPerPixel = Math.Max(1, ((colors * bits) + 7) / 8);
        var rowLength = ((columns * colors * bits) + 7) / 8;
        return predictor == 2 ? Tiff(data, rowLength, bytesPerPixel) : Png(data, rowLength, bytesPerPixel);
    }

    private static int Number(PdfDictionary? parms, string key, int fallback, PdfFile file) =>
        parms is not null && file.Resolve(parms.GetRaw(key)) is double value ? (int)value : fallback;

    private static byte[] Png(byte[] data, int rowLength, int bytesPerPixel)
    {
        var rows = data.Length / (rowLength + 1);
        var output = new byte[rows * rowLength];
        var previous = new byte[rowLength];
        for (var r = 0; r < rows; r++)
        {
            var filter = data[r * (rowLength + 1)];
            var source = data.AsSpan((r * (rowLength + 1)) + 1, rowLength);
            var row = output.AsSpan(r * rowLength, rowLength);
            for (var i = 0; i < rowLength; i++)
            {
                var left = i >= bytesPerPixel ? row[i - bytesPerPixel] : 0;
                var up = previous[i];
                var upLeft = i >= bytesPerPixel ? previous[i - bytesPerPixel] : 0;
                row[i] = (byte)(source[i] + filter switch
                {
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    4 => Paeth(left, up, upLeft),
                    _ => 0,
                });
            }

            row.CopyTo(previous);
        }

        return output;
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var pa = Math.Abs(p - a);
        var pb = Math.Abs(p - b);
        var pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static byte[] Tiff(byte[] data, int rowLength, int bytesPerPixel)
    {
        var output = (byte[])data.Clone();
        for (var rowStart = 0; rowStart + rowLength <= output.Length; rowStart += rowLength)
        {
            for (var i = bytesPerPixel; i < rowLength; i++)
            {
                output[rowStart + i] += output[rowStart + i - bytesPerPixel];
            }
        }

        return output;
    }
}

/// <summary>The decompressed bytes one document may still produce.</summary>
internal sealed class DecodeBudget(long maxBytes)
{
    private long _used;

    public void Check(long pending)
    {
        if (_used + pending > maxBytes)
        {
            throw new ExtractionException($"Decompressing the PDF's streams produces more than the limit of {maxBytes:N0} bytes.");
        }
    }

    public void Charge(long bytes)
    {
        Check(bytes);
        _used += bytes;
    }
}
