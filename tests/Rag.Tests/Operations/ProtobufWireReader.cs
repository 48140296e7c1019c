using System.Buffers.Binary;
using System.Text;

namespace Rag.Tests.Operations;

/// <summary>
/// The protobuf wire format, just enough to walk an OTLP export: each field is a tag (number and wire type) and a
/// varint, a fixed 32/64-bit value or a length-delimited byte run (strings, bytes, nested messages, packed arrays).
/// </summary>
internal ref struct ProtobufWireReader(ReadOnlySpan<byte> buffer)
{
    private readonly ReadOnlySpan<byte> _buffer = buffer;
    private int _position;

    public int FieldNumber { get; private set; }

    public int WireType { get; private set; }

    public bool Next()
    {
        if (_position >= _buffer.Length)
        {
            return false;
        }

        var tag = ReadVarint();
        FieldNumber = (int)(tag >> 3);
        WireType = (int)(tag & 7);
        return true;
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = _buffer[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new FormatException("Varint longer than 64 bits.");
    }

    public ReadOnlySpan<byte> ReadBytes()
    {
        var length = checked((int)ReadVarint());
        var bytes = _buffer.Slice(_position, length);
        _position += length;
        return bytes;
    }

    public string ReadString() => Encoding.UTF8.GetString(ReadBytes());

    public ulong ReadFixed64()
    {
        var value = BinaryPrimitives.ReadUInt64LittleEndian(_buffer[_position..]);
        _position += 8;
        return value;
    }

    public double ReadDouble() => BitConverter.Int64BitsToDouble((long)ReadFixed64());

    public void Skip()
    {
        switch (WireType)
        {
            case 0:
                ReadVarint();
                break;
            case 1:
                _position += 8;
                break;
            case 2:
                ReadBytes();
                break;
            case 5:
                _position += 4;
                break;
            default:
                throw new FormatException($"Unsupported wire type {WireType}.");
        }
    }
}
