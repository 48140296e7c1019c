using System.Security.Cryptography;

namespace Rag.Core.Extraction.Pdf;

/// <summary>
/// Decrypts PDFs protected by the standard security handler (revisions 2–4: RC4 and AES-128) when the
/// user password is empty, which is how "permissions-only" PDFs are made: anyone may open them, so
/// reading their text needs no secret. Anything else is refused with a clear message.
/// </summary>
internal sealed class StandardDecryption
{
    // The padding string the PDF specification fixes for password handling.
    private static readonly byte[] Padding =
    [
        0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
        0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A,
    ];

    private readonly byte[] _fileKey;
    private readonly bool _aes;

    private StandardDecryption(byte[] fileKey, bool aes)
    {
        _fileKey = fileKey;
        _aes = aes;
    }

    public static StandardDecryption Create(PdfDictionary encrypt, PdfDictionary trailer, PdfFile file)
    {
        const string NotSupported = "Encrypted PDF is not supported: this one needs a password to open. Remove the password protection and upload it again.";
        if (file.Resolve(encrypt.GetRaw("Filter")) is not PdfName { Value: "Standard" } ||
            file.Resolve(encrypt.GetRaw("R")) is not double revisionValue || revisionValue is < 2 or > 4 ||
            file.Resolve(encrypt.GetRaw("O")) is not PdfString owner || file.Resolve(encrypt.GetRaw("U")) is not PdfString user ||
            file.Resolve(encrypt.GetRaw("P")) is not double permissions)
        {
            throw new ExtractionException("Encrypted PDF is not supported: it uses an encryption method we cannot read. Remove the protection and upload it again.");
        }

        var revision = (int)revisionValue;
        var keyLength = revision == 2 ? 5 : Math.Clamp((file.Resolve(encrypt.GetRaw("Length")) is double bits ? (int)bits : 40) / 8, 5, 16);
        var aes = false;
        if (revision == 4)
        {
            var cryptFilter = file.ResolveDictionary(file.ResolveDictionary(encrypt.GetRaw("CF"))?.GetRaw("StdCF"));
            var method = (file.Resolve(cryptFilter?.GetRaw("CFM")) as PdfName)?.Value;
            if (method is not ("V2" or "AESV2"))
            {
                throw new ExtractionException("Encrypted PDF is not supported: it uses an encryption method we cannot read. Remove the protection and upload it again.");
            }

            aes = method == "AESV2";
            keyLength = 16;
        }

        var firstId = file.Resolve(trailer.GetRaw("ID")) is PdfArray { Count: > 0 } ids && file.Resolve(ids[0]) is PdfString id ? id.Bytes : [];
        var encryptMetadata = file.Resolve(encrypt.GetRaw("EncryptMetadata")) is not false;

        // Key from the empty user password (the specification's "algorithm 2").
        var input = new List<byte>(Padding);
        input.AddRange(owner.Bytes.Take(32));
        input.AddRange(BitConverter.GetBytes((int)(long)permissions));
        input.AddRange(firstId);
        if (revision >= 4 && !encryptMetadata)
        {
            input.AddRange([0xFF, 0xFF, 0xFF, 0xFF]);
        }

        var key = MD5.HashData([.. input]);
        if (revision >= 3)
        {
            for (var i = 0; i < 50; i++)
            {
                key = MD5.HashData(key.AsSpan(0, keyLength));
            }
        }

        key = key[..keyLength];
        if (!UserPasswordIsEmpty(key, revision, user.Bytes, firstId))
        {
            throw new ExtractionException(NotSupported);
        }

        return new StandardDecryption(key, aes);
    }

    public byte[] Decrypt(byte[] data, int objectNumber, int generation)
    {
        var objectKeyInput = new List<byte>(_fileKey)
        {
            (byte)objectNumber, (byte)(objectNumber >> 8), (byte)(objectNumber >> 16), (byte)generation, (byte)(generation >> 8),
        };
        if (_aes)
        {
            objectKeyInput.AddRange("sAlT"u8.ToArray());
        }

        var objectKey = MD5.HashData([.. objectKeyInput])[..Math.Min(_fileKey.Length + 5, 16)];
        return _aes ? AesDecrypt(objectKey, data) : Rc4(objectKey, data);
    }

    private static bool UserPasswordIsEmpty(byte[] key, int revision, byte[] user, byte[] firstId)
    {
        if (revision == 2)
        {
            return Rc4(key, Padding).AsSpan().SequenceEqual(user.AsSpan(0, Math.Min(32, user.Length)));
        }

        var check = Rc4(key, MD5.HashData([.. Padding, .. firstId]));
        for (byte i = 1; i <= 19; i++)
        {
            check = Rc4(key.Select(b => (byte)(b ^ i)).ToArray(), check);
        }

        return user.Length >= 16 && check.AsSpan(0, 16).SequenceEqual(user.AsSpan(0, 16));
    }

    private static byte[] AesDecrypt(byte[] key, byte[] data)
    {
        if (data.Length < 32 || data.Length % 16 != 0)
        {
            return [];
        }

        using var aes = Aes.Create();
        aes.Key = key;
        try
        {
            return aes.DecryptCbc(data.AsSpan(16), data.AsSpan(0, 16), PaddingMode.PKCS7);
        }
        catch (CryptographicException)
        {
            throw new PdfFormatException("an encrypted stream or string is damaged");
        }
    }

    /// <summary>RC4: obsolete as cryptography, but it is what older PDFs use; .NET does not provide it.</summary>
    private static byte[] Rc4(byte[] key, byte[] data)
    {
        var s = new byte[256];
        for (var i = 0; i < 256; i++)
        {
            s[i] = (byte)i;
        }

        for (int i = 0, j = 0; i < 256; i++)
        {
            j = (j + s[i] + key[i % key.Length]) & 0xFF;
            (s[i], s[j]) = (s[j], s[i]);
        }

        var output = new byte[data.Length];
        for (int n = 0, i = 0, j = 0; n < data.Length; n++)
        {
            i = (i + 1) & 0xFF;
            j = (j + s[i]) & 0xFF;
            (s[i], s[j]) = (s[j], s[i]);
            output[n] = (byte)(data[n] ^ s[(s[i] + s[j]) & 0xFF]);
        }

        return output;
    }
}
