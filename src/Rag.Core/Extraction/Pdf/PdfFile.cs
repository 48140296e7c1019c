namespace Rag.Core.Extraction.Pdf;

/// <summary>
/// A PDF file's objects: finds them through the cross-reference tables and streams (following /Prev through
/// incremental updates) or, when those are broken, by scanning the file for "n g obj"; loads them lazily.
/// </summary>
internal sealed class PdfFile
{
    private const int MaxXrefSections = 256;
    private const int MaxObjectStreamObjects = 100_000;

    private readonly ReadOnlyMemory<byte> _data;
    private readonly DecodeBudget _budget;
    private readonly CancellationToken _cancellationToken;
    private readonly Dictionary<int, XrefEntry> _xref = [];
    private readonly Dictionary<int, object> _cache = [];
    private readonly HashSet<int> _resolving = [];
    private readonly Dictionary<int, (PdfLexer Lexer, int First, Dictionary<int, int> Offsets)> _objectStreams = [];
    private StandardDecryption? _decryption;
    private int? _encryptionDictionaryNumber;

    // For objects in an object stream, OffsetOrStream is the stream's object number.
    private readonly record struct XrefEntry(bool InObjectStream, long OffsetOrStream);

    private PdfFile(ReadOnlyMemory<byte> data, DecodeBudget budget, CancellationToken cancellationToken)
    {
        _data = data;
        _budget = budget;
        _cancellationToken = cancellationToken;
    }

    public PdfDictionary Trailer { get; private set; } = [];

    public static PdfFile Open(ReadOnlyMemory<byte> content, DecodeBudget budget, CancellationToken cancellationToken)
    {
        var header = content.Span[..Math.Min(1024, content.Length)].IndexOf("%PDF-"u8);
        if (header < 0)
        {
            throw new PdfFormatException("it has no %PDF- header");
        }

        // Offsets count from the header; junk before it (some mail gateways add it) must not shift them.
        var file = new PdfFile(content[header..], budget, cancellationToken);
        var readFromXref = false;
        try
        {
            readFromXref = file.ReadCrossReferences() && file.Resolve(file.Trailer.GetRaw("Root")) is PdfDictionary;
        }
        catch (PdfFormatException)
        {
            // A damaged cross-reference section is common; the scan below is the remedy.
        }

        if (!readFromXref)
        {
            file.Recover();
        }

        if (file.Trailer.GetRaw("Encrypt") is { } encrypt)
        {
            file._encryptionDictionaryNumber = (encrypt as PdfReference)?.Number;
            var encryptDictionary = file.ResolveDictionary(encrypt)
                ?? throw new ExtractionException("Encrypted PDF is not supported: its encryption dictionary is missing.");
            file._decryption = StandardDecryption.Create(encryptDictionary, file.Trailer, file);

            // Objects read before the key was known hold encrypted strings and streams.
            file._cache.Clear();
            file._objectStreams.Clear();
        }

        return file;
    }

    public object? Resolve(object? value)
    {
        for (var hops = 0; value is PdfReference reference && hops < 32; hops++)
        {
            value = Load(reference.Number);
        }

        return value is PdfReference or PdfNull ? null : value;
    }

    public PdfDictionary? ResolveDictionary(object? value) => Resolve(value) switch
    {
        PdfDictionary dictionary => dictionary,
        PdfStream stream => stream.Dictionary,
        _ => null,
    };

    public byte[] DecodeStream(PdfStream stream) => PdfFilters.Decode(stream, this, _budget, _cancellationToken);

    private object? Load(int number)
    {
        if (_cache.TryGetValue(number, out var cached))
        {
            return cached;
        }

        if (!_xref.TryGetValue(number, out var entry) || !_resolving.Add(number))
        {
            return null;
        }

        _cancellationToken.ThrowIfCancellationRequested();
        try
        {
            var value = entry.InObjectStream ? LoadFromObjectStream((int)entry.OffsetOrStream, number) : LoadAt(entry.OffsetOrStream, number);
            if (value is not null)
            {
                _cache[number] = value;
            }

            return value;
        }
        catch (PdfFormatException)
        {
            return null;
        }
        finally
        {
            _resolving.Remove(number);
        }
    }

    private object? LoadAt(long offset, int expectedNumber)
    {
        if (offset < 0 || offset >= _data.Length)
        {
            return null;
        }

        var lexer = new PdfLexer(_data, (int)offset);
        if (lexer.ReadObject(false) is not double number || lexer.ReadObject(false) is not double generation ||
            lexer.ReadObject(false) is not PdfOperator { Value: "obj" } || (int)number != expectedNumber)
        {
            return null;
        }

        var value = lexer.ReadObject(true);
        if (value is PdfDictionary dictionary)
        {
            value = ReadStreamBody(lexer, dictionary);
        }

        return _decryption is null || expectedNumber == _encryptionDictionaryNumber || value is null
            ? value
            : Decrypt(value, expectedNumber, (int)generation, depth: 0);
    }

    /// <summary>Decrypts the strings and stream data of a top-level object (objects in object streams are covered by their stream's encryption).</summary>
    private object Decrypt(object value, int number, int generation, int depth)
    {
        if (depth > 64)
        {
            return value;
        }

        switch (value)
        {
            case PdfString text:
                return new PdfString(_decryption!.Decrypt(text.Bytes, number, generation));
            case PdfArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    array[i] = Decrypt(array[i], number, generation, depth + 1);
                }

                return array;
            case PdfDictionary dictionary:
                foreach (var key in dictionary.Keys.ToList())
                {
                    dictionary[key] = Decrypt(dictionary[key], number, generation, depth + 1);
                }

                return dictionary;
            case PdfStream stream:
                Decrypt(stream.Dictionary, number, generation, depth + 1);
                return stream.Dictionary.GetRaw("Type") is PdfName { Value: "XRef" }
                    ? stream
                    : new PdfStream(stream.Dictionary, _decryption!.Decrypt(stream.RawData.ToArray(), number, generation));
            default:
                return value;
        }
    }

    /// <summary>If "stream" follows the dictionary, reads its data using /Length, or up to "endstream" when /Length lies.</summary>
    private object ReadStreamBody(PdfLexer lexer, PdfDictionary dictionary)
    {
        if (lexer.ReadObject(false) is not PdfOperator { Value: "stream" })
        {
            return dictionary;
        }

        var span = _data.Span;
        var start = lexer.Position;
        if (start < span.Length && span[start] == '\r')
        {
            start++;
        }

        if (start < span.Length && span[start] == '\n')
        {
            start++;
        }

        var length = Resolve(dictionary.GetRaw("Length")) is double declared ? (long)declared : -1;
        if (length >= 0 && start + length <= span.Length && EndstreamFollows(start + (int)length))
        {
            return new PdfStream(dictionary, _data.Slice(start, (int)length));
        }

        var end = span[start..].IndexOf("endstream"u8);
        if (end < 0)
        {
            return new PdfStream(dictionary, _data[start..]);
        }

        var data = span.Slice(start, end);
        var trimmed = data.Length;
        while (trimmed > 0 && data[trimmed - 1] is (byte)'\r' or (byte)'\n')
        {
            trimmed--;
        }

        return new PdfStream(dictionary, _data.Slice(start, trimmed));
    }

    private bool EndstreamFollows(int position)
    {
        var lexer = new PdfLexer(_data, position);
        lexer.SkipWhitespaceAndComments();
        return _data.Span[lexer.Position..].StartsWith("endstream"u8);
    }

    private object? LoadFromObjectStream(int streamNumber, int number)
    {
        if (!_objectStreams.TryGetValue(streamNumber, out var objectStream))
        {
            if (Load(streamNumber) is not PdfStream stream)
            {
                return null;
            }

            var decoded = DecodeStream(stream);
            var count = Math.Min(Resolve(stream.Dictionary.GetRaw("N")) is double n ? (int)n : 0, MaxObjectStreamObjects);
            var first = Resolve(stream.Dictionary.GetRaw("First")) is double f ? (int)f : 0;
            var lexer = new PdfLexer(decoded);
            var offsets = new Dictionary<int, int>();
            for (var i = 0; i < count; i++)
            {
                if (lexer.ReadObject(false) is not double objectNumber || lexer.ReadObject(false) is not double objectOffset)
                {
                    break;
                }

                offsets[(int)objectNumber] = (int)objectOffset;
            }

            objectStream = (lexer, first, offsets);
            _objectStreams[streamNumber] = objectStream;
        }

        if (!objectStream.Offsets.TryGetValue(number, out var offset))
        {
            return null;
        }

        objectStream.Lexer.Position = objectStream.First + offset;
        return objectStream.Lexer.ReadObject(true);
    }

    private bool ReadCrossReferences()
    {
        var span = _data.Span;
        var tail = Math.Max(0, span.Length - 2048);
        var startxref = span[tail..].LastIndexOf("startxref"u8);
        if (startxref < 0)
        {
            return false;
        }

        var lexer = new PdfLexer(_data, tail + startxref + "startxref".Length);
        if (lexer.ReadObject(false) is not double offset)
        {
            return false;
        }

        var visited = new HashSet<long>();
        var pending = new Queue<long>([(long)offset]);
        var first = true;
        while (pending.Count > 0 && visited.Count < MaxXrefSections)
        {
            var position = pending.Dequeue();
            if (!visited.Add(position) || position < 0 || position >= span.Length)
            {
                continue;
            }

            var trailer = ReadXrefSection((int)position);
            if (trailer is null)
            {
                return false;
            }

            if (first)
            {
                Trailer = trailer;
                first = false;
            }

            // A hybrid file's table points at a stream for the objects it compresses; then /Prev for older updates.
            if (trailer.GetRaw("XRefStm") is double xrefStream)
            {
                pending.Enqueue((long)xrefStream);
            }

            if (trailer.GetRaw("Prev") is double previous)
            {
                pending.Enqueue((long)previous);
            }
        }

        return !first;
    }

    private PdfDictionary? ReadXrefSection(int position)
    {
        var lexer = new PdfLexer(_data, position);
        var token = lexer.ReadObject(false);
        if (token is PdfOperator { Value: "xref" })
        {
            return ReadXrefTable(lexer);
        }

        if (token is double number && LoadAt(position, (int)number) is PdfStream { } stream &&
            Resolve(stream.Dictionary.GetRaw("Type")) is PdfName { Value: "XRef" })
        {
            ReadXrefStream(stream);
            return stream.Dictionary;
        }

        return null;
    }

    private PdfDictionary? ReadXrefTable(PdfLexer lexer)
    {
        while (true)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var token = lexer.ReadObject(false);
            if (token is PdfOperator { Value: "trailer" })
            {
                return lexer.ReadObject(true) as PdfDictionary;
            }

            if (token is not double start || lexer.ReadObject(false) is not double count || count < 0 || count > 10_000_000)
            {
                return null;
            }

            for (var i = 0; i < (int)count; i++)
            {
                if (lexer.ReadObject(false) is not double offset || lexer.ReadObject(false) is not double ||
                    lexer.ReadObject(false) is not PdfOperator { Value: "n" or "f" } kind)
                {
                    return null;
                }

                var number = (int)start + i;
                if (kind.Value == "n" && !_xref.ContainsKey(number))
                {
                    _xref[number] = new XrefEntry(false, (long)offset);
                }
                else if (kind.Value == "f")
                {
                    _xref.TryAdd(number, new XrefEntry(false, -1));
                }
            }
        }
    }

    private void ReadXrefStream(PdfStream stream)
    {
        var dictionary = stream.Dictionary;
        if (Resolve(dictionary.GetRaw("W")) is not PdfArray { Count: 3 } widthArray || widthArray.Any(w => w is not double width || width < 0 || width > 8))
        {
            throw new PdfFormatException("a cross-reference stream has a bad /W");
        }

        var widths = widthArray.Select(w => (int)(double)w).ToArray();
        var size = Resolve(dictionary.GetRaw("Size")) is double s ? (int)s : 0;
        var index = Resolve(dictionary.GetRaw("Index")) is PdfArray indexArray
            ? indexArray.OfType<double>().Select(v => (int)v).ToArray()
            : [0, size];
        var data = DecodeStream(stream);
        var rowLength = widths.Sum();
        var row = 0;
        for (var section = 0; section + 1 < index.Length; section += 2)
        {
            for (var i = 0; i < index[section + 1] && (row + 1) * rowLength <= data.Length; i++, row++)
            {
                var fields = data.AsSpan(row * rowLength, rowLength);
                var type = widths[0] == 0 ? 1 : ReadField(fields[..widths[0]]);
                var second = ReadField(fields.Slice(widths[0], widths[1]));
                var number = index[section] + i;
                switch (type)
                {
                    case 1:
                        _xref.TryAdd(number, new XrefEntry(false, second));
                        break;
                    case 2:
                        _xref.TryAdd(number, new XrefEntry(true, second));
                        break;
                    default:
                        _xref.TryAdd(number, new XrefEntry(false, -1));
                        break;
                }
            }
        }
    }

    private static long ReadField(ReadOnlySpan<byte> bytes)
    {
        long value = 0;
        foreach (var b in bytes)
        {
            value = (value << 8) | b;
        }

        return value;
    }

    /// <summary>Rebuilds the object table by scanning for "n g obj", the way readers cope with broken cross-references.</summary>
    private void Recover()
    {
        _xref.Clear();
        _cache.Clear();
        _objectStreams.Clear();
        var span = _data.Span;
        var objectStreams = new List<int>();
        for (var i = span.IndexOf("obj"u8); i >= 0 && i < span.Length; )
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var start = FindObjectHeaderStart(span, i);
            if (start >= 0)
            {
                var lexer = new PdfLexer(_data, start);
                if (lexer.ReadObject(false) is double number)
                {
                    // Later definitions win: they come from incremental updates.
                    _xref[(int)number] = new XrefEntry(false, start);
                    _cache.Remove((int)number);
                }
            }

            var next = span[(i + 3)..].IndexOf("obj"u8);
            i = next < 0 ? -1 : i + 3 + next;
        }

        PdfDictionary? trailer = null;
        foreach (var (number, _) in _xref.ToList())
        {
            var value = Load(number);
            if (value is PdfStream stream && Resolve(stream.Dictionary.GetRaw("Type")) is PdfName type)
            {
                if (type.Value == "ObjStm")
                {
                    objectStreams.Add(number);
                }
                else if (type.Value == "XRef" && stream.Dictionary.ContainsKey("Root"))
                {
                    trailer = stream.Dictionary;
                }
            }
        }

        // Objects inside object streams are found by reading each stream's header.
        foreach (var streamNumber in objectStreams)
        {
            if (Load(streamNumber) is PdfStream stream)
            {
                try
                {
                    var decoded = DecodeStream(stream);
                    var lexer = new PdfLexer(decoded);
                    var count = Math.Min(Resolve(stream.Dictionary.GetRaw("N")) is double n ? (int)n : 0, MaxObjectStreamObjects);
                    for (var i = 0; i < count && lexer.ReadObject(false) is double objectNumber && lexer.ReadObject(false) is double; i++)
                    {
                        _xref.TryAdd((int)objectNumber, new XrefEntry(true, streamNumber));
                    }
                }
                catch (PdfFormatException)
                {
                    // A damaged object stream loses only its own objects.
                }
            }
        }

        var trailerAt = span.LastIndexOf("trailer"u8);
        if (trailerAt >= 0 && new PdfLexer(_data, trailerAt + "trailer".Length).ReadObject(true) is PdfDictionary found && found.ContainsKey("Root"))
        {
            trailer = found;
        }

        if (trailer is null)
        {
            var catalog = _xref.Keys.FirstOrDefault(n => ResolveDictionary(new PdfReference(n, 0)) is { } d && Resolve(d.GetRaw("Type")) is PdfName { Value: "Catalog" });
            if (catalog == 0 && !_xref.ContainsKey(0))
            {
                throw new PdfFormatException("no document catalog could be found (the file is truncated or is not really a PDF)");
            }

            trailer = new PdfDictionary { ["Root"] = new PdfReference(catalog, 0) };
        }

        Trailer = trailer;
        if (Resolve(Trailer.GetRaw("Root")) is not PdfDictionary)
        {
            throw new PdfFormatException("its document catalog is missing or damaged");
        }
    }

    /// <summary>Given the index of "obj", returns where "n g" before it starts, or -1 if it is not an object header.</summary>
    private static int FindObjectHeaderStart(ReadOnlySpan<byte> span, int objIndex)
    {
        if (objIndex + 3 < span.Length && !PdfLexer.IsWhitespace(span[objIndex + 3]) && !PdfLexer.IsDelimiter(span[objIndex + 3]))
        {
            return -1;
        }

        var i = objIndex - 1;
        if (i < 0 || !PdfLexer.IsWhitespace(span[i]))
        {
            return -1;
        }

        for (var part = 0; part < 2; part++)
        {
            while (i >= 0 && PdfLexer.IsWhitespace(span[i]))
            {
                i--;
            }

            var end = i;
            while (i >= 0 && char.IsAsciiDigit((char)span[i]))
            {
                i--;
            }

            if (i == end || end - i > 10)
            {
                return -1;
            }
        }

        return i + 1 == 0 || PdfLexer.IsWhitespace(span[i]) || PdfLexer.IsDelimiter(span[i]) ? i + 1 : -1;
    }

    public string? Title()
    {
        var info = ResolveDictionary(Trailer.GetRaw("Info"));
        return info is not null && Resolve(info.GetRaw("Title")) is PdfString title ? title.ToText() : null;
    }
}
