using System.Buffers;

namespace Rag.Api.Documents;

/// <summary>
/// One uploaded file's bytes in a buffer rented from the shared pool. Files of 85 KB and more would otherwise each
/// allocate (and, while growing, copy) arrays on the large object heap, whose collections cost the API more CPU
/// than the rest of the upload. Dispose returns the buffer; the bytes must not be used after that.
/// </summary>
internal sealed class RentedContent : IDisposable
{
    // Most documents fit at once; bigger ones grow by doubling.
    private const int InitialSize = 128 * 1024;

    private byte[]? _buffer;
    private int _length;

    private RentedContent(byte[] buffer) => _buffer = buffer;

    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(RentedContent))).AsMemory(0, _length);

    /// <returns>The whole content, or null (after draining the rest) when it is longer than <paramref name="limit"/>.</returns>
    public static async Task<RentedContent?> ReadAsync(Stream body, long limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        var content = new RentedContent(ArrayPool<byte>.Shared.Rent(InitialSize));
        try
        {
            int read;
            while ((read = await body.ReadAsync(content._buffer!.AsMemory(content._length), cancellationToken)) > 0)
            {
                content._length += read;
                if (content._length > limit || (content._length == content._buffer!.Length && !content.TryGrow()))
                {
                    await body.CopyToAsync(Stream.Null, cancellationToken);
                    content.Dispose();
                    return null;
                }
            }

            return content;
        }
        catch
        {
            content.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // False when the buffer is already as large as an array can be: the file is too large whatever the limit says.
    private bool TryGrow()
    {
        if (_buffer!.Length >= Array.MaxLength)
        {
            return false;
        }

        var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(2L * _buffer.Length, Array.MaxLength));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
        return true;
    }
}
