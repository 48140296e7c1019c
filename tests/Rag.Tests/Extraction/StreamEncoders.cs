using System.Text;

namespace Rag.Tests.Extraction;

/// <summary>Encoders for the PDF filters the reader must decode, written from the PDF specification.</summary>
internal static class StreamEncoders
{
    public static byte[] Ascii85(byte[] data)
    {
        var text = new StringBuilder();
        for (var i = 0; i < data.Length; i += 4)
        {
            var count = Math.Min(4, data.Length - i);
            uint value = 0;
            for (var j = 0; j < 4; j++)
            {
                value = (value << 8) | (j < count ? data[i + j] : 0u);
            }

            var digits = new char[5];
            for (var j = 4; j >= 0; j--)
            {
                digits[j] = (char)('!' + (value % 85));
                value /= 85;
            }

            text.Append(digits, 0, count + 1);
        }

        return Encoding.ASCII.GetBytes(text.Append("~>").ToString());
    }

    /// <summary>Alternates literal runs and repeat runs so both kinds are exercised.</summary>
    public static byte[] RunLength(byte[] data)
    {
        var output = new List<byte>();
        for (var i = 0; i < data.Length;)
        {
            var repeat = 1;
            while (i + repeat < data.Length && data[i + repeat] == data[i] && repeat < 128)
            {
                repeat++;
            }

            if (repeat > 1)
            {
                output.Add((byte)(257 - repeat));
                output.Add(data[i]);
                i += repeat;
                continue;
            }

            var literal = Math.Min(3, data.Length - i);
            output.Add((byte)(literal - 1));
            output.AddRange(data.AsSpan(i, literal));
            i += literal;
        }

        output.Add(128);
        return [.. output];
    }

    /// <summary>LZW with 9-bit codes (inputs here are short enough that the table never needs 10 bits).</summary>
    public static byte[] Lzw(byte[] data)
    {
        var table = new Dictionary<string, int>();
        for (var i = 0; i < 256; i++)
        {
            table[((char)i).ToString()] = i;
        }

        var codes = new List<int> { 256 };
        var next = 258;
        var current = "";
        foreach (var b in data)
        {
            var extended = current + (char)b;
            if (table.ContainsKey(extended))
            {
                current = extended;
                continue;
            }

            codes.Add(table[current]);
            table[extended] = next++;
            current = ((char)b).ToString();
        }

        codes.Add(table[current]);
        codes.Add(257);
        if (next + 1 >= 512)
        {
            throw new InvalidOperationException("The test input is too long for 9-bit codes.");
        }

        var output = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var code in codes)
        {
            buffer = (buffer << 9) | code;
            bits += 9;
            while (bits >= 8)
            {
                output.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }

        if (bits > 0)
        {
            output.Add((byte)(buffer << (8 - bits)));
        }

        return [.. output];
    }
}
