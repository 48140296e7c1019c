using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Rag.Core.Chunking;

/// <summary>
/// Name-based chunk ids, so processing the same document version again yields the same ids and
/// index upserts overwrite instead of duplicating.
/// </summary>
public static class ChunkIds
{
    // Separates these names from any other SHA-256-derived ids we might mint later.
    private static ReadOnlySpan<byte> Domain => "rag:chunk:v1"u8;

    /// <summary>An RFC 9562 version 8 UUID built from the first 16 bytes of SHA-256(domain, document id, version, ordinal).</summary>
    public static Guid Create(Guid documentId, int version, int ordinal)
    {
        Span<byte> name = stackalloc byte[Domain.Length + 16 + 4 + 4];
        Domain.CopyTo(name);
        documentId.TryWriteBytes(name[Domain.Length..], bigEndian: true, out _);
        BinaryPrimitives.WriteInt32BigEndian(name[(Domain.Length + 16)..], version);
        BinaryPrimitives.WriteInt32BigEndian(name[(Domain.Length + 20)..], ordinal);

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(name, hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
