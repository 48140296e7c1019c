using System.IO.Compression;

namespace Rag.Core.Extraction;

/// <summary>Reads a (decompressing) stream to its end without ever holding more than a set number of bytes.</summary>
internal static class BoundedRead
{
    public static byte[] ReadAll(Stream source, long maxBytes, string what, CancellationToken cancellationToken)
    {
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        try
        {
            int read;
            while ((read = source.Read(buffer, 0, buffer.Length)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (output.Length + read > maxBytes)
                {
                    throw new ExtractionException($"Decompressing {what} produces more than the limit of {maxBytes:N0} bytes.");
                }

                output.Write(buffer, 0, read);
            }
        }
        catch (InvalidDataException ex)
        {
            throw new ExtractionException($"The compressed data of {what} is damaged.", ex);
        }

        return output.ToArray();
    }
}
