using Rag.Core.Extraction;

namespace Rag.Core.Chunking;

/// <summary>
/// Cuts an <see cref="ExtractedDocument"/> into token-bounded chunks along its structure: every heading starts
/// a new chunk; a paragraph that fits is kept whole; a longer one is split between sentences (lines for code
/// and tables), and a sentence longer than a whole chunk between words, or inside a word when it must.
/// Consecutive chunks of one section share up to <see cref="ChunkingOptions.OverlapTokens"/> of trailing sentences.
/// Deterministic: the same document and options always give the same chunks.
/// </summary>
public static class DocumentChunker
{
    private const string BlockSeparator = "\n\n";

    public static IReadOnlyList<DocumentChunk> Chunk(ExtractedDocument document, ChunkingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(document);
        options ??= ChunkingOptions.Default;
        options.EnsureValid();

        var fullText = string.Join(BlockSeparator, document.Blocks.Select(block => block.Text));
        var builder = new ChunkBuilder(fullText, options);
        var blockStart = 0;
        IReadOnlyList<string>? sectionPath = null;
        foreach (var block in document.Blocks)
        {
            if (!string.IsNullOrWhiteSpace(block.Text))
            {
                if (block.Kind == BlockKind.Heading || sectionPath is null || !sectionPath.SequenceEqual(block.HeadingPath))
                {
                    builder.StartSection(block.HeadingPath);
                    sectionPath = block.HeadingPath;
                }

                builder.AddBlock(SplitBlock(fullText, block, blockStart, options.MaxTokens));
            }

            blockStart += block.Text.Length + BlockSeparator.Length;
        }

        builder.StartSection([]);
        return builder.Chunks;
    }

    private static List<Piece> SplitBlock(string fullText, TextBlock block, int blockStart, int maxTokens)
    {
        var text = block.Text.AsSpan();
        var units = block.Kind is BlockKind.Code or BlockKind.Table ? SplitLines(text) : SentenceSplitter.Split(text);
        var pieces = new List<Piece>(units.Count);
        foreach (var unit in units)
        {
            var (offset, length) = unit.GetOffsetAndLength(text.Length);
            var tokens = ApproximateTokenCounter.Count(text.Slice(offset, length));
            if (tokens == 0)
            {
                continue;
            }

            if (tokens <= maxTokens)
            {
                pieces.Add(new Piece(blockStart + offset, blockStart + offset + length, tokens, block.Page));
            }
            else
            {
                AddTokenWindows(fullText.AsSpan(blockStart + offset, length), blockStart + offset, maxTokens, block.Page, pieces);
            }
        }

        return pieces;
    }

    private static List<Range> SplitLines(ReadOnlySpan<char> text)
    {
        var lines = new List<Range>();
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == '\n')
            {
                if (!text[start..i].IsWhiteSpace())
                {
                    lines.Add(start..i);
                }

                start = i + 1;
            }
        }

        return lines;
    }

    // Packs whole tokens into windows of at most maxTokens, cutting at whitespace when one is in the window's second half.
    private static void AddTokenWindows(ReadOnlySpan<char> text, int absoluteStart, int maxTokens, int? page, List<Piece> pieces)
    {
        var tokenEnds = new List<int>();
        ApproximateTokenCounter.AppendTokenEnds(text, tokenEnds);
        var windowStart = 0;
        var firstToken = 0;
        while (firstToken < tokenEnds.Count)
        {
            var lastToken = Math.Min(firstToken + maxTokens, tokenEnds.Count) - 1;
            if (lastToken < tokenEnds.Count - 1)
            {
                for (var candidate = lastToken; candidate >= firstToken + (maxTokens / 2); candidate--)
                {
                    if (char.IsWhiteSpace(text[tokenEnds[candidate]]))
                    {
                        lastToken = candidate;
                        break;
                    }
                }
            }

            var windowEnd = tokenEnds[lastToken];
            pieces.Add(new Piece(absoluteStart + windowStart, absoluteStart + windowEnd, lastToken - firstToken + 1, page));
            windowStart = windowEnd;
            while (windowStart < text.Length && char.IsWhiteSpace(text[windowStart]))
            {
                windowStart++;
            }

            firstToken = lastToken + 1;
        }
    }

    /// <summary>A sentence, line or word window: a span of the full text that is never split further.</summary>
    private readonly record struct Piece(int Start, int End, int Tokens, int? Page);

    private sealed class ChunkBuilder(string fullText, ChunkingOptions options)
    {
        private readonly List<Piece> _pieces = [];
        private int _overlapPieces;
        private int _tokens;
        private IReadOnlyList<string> _headingPath = [];

        public List<DocumentChunk> Chunks { get; } = [];

        private bool HasNewContent => _pieces.Count > _overlapPieces;

        public void StartSection(IReadOnlyList<string> headingPath)
        {
            if (HasNewContent)
            {
                Emit();
            }

            _pieces.Clear();
            _overlapPieces = 0;
            _tokens = 0;
            _headingPath = headingPath;
        }

        public void AddBlock(List<Piece> blockPieces)
        {
            // Paragraph boundaries first: a block that fits in a chunk of its own does not start in this one.
            var blockTokens = blockPieces.Sum(piece => piece.Tokens);
            if (HasNewContent && _tokens + blockTokens > options.MaxTokens && blockTokens <= options.MaxTokens)
            {
                Emit();
                KeepOverlap();
            }

            foreach (var piece in blockPieces)
            {
                if (HasNewContent && _tokens + piece.Tokens > options.MaxTokens)
                {
                    Emit();
                    KeepOverlap();
                }

                while (_overlapPieces > 0 && _tokens + piece.Tokens > options.MaxTokens)
                {
                    _tokens -= _pieces[0].Tokens;
                    _pieces.RemoveAt(0);
                    _overlapPieces--;
                }

                _pieces.Add(piece);
                _tokens += piece.Tokens;
            }
        }

        private void Emit()
        {
            var start = _pieces[0].Start;
            var end = _pieces[^1].End;
            var text = fullText[start..end];
            var overlapChars = _overlapPieces > 0 ? _pieces[_overlapPieces - 1].End - start : 0;
            var page = _pieces.FirstOrDefault(piece => piece.Page is not null).Page;
            Chunks.Add(new DocumentChunk(Chunks.Count, text, _headingPath, page, start, end, overlapChars, ApproximateTokenCounter.Count(text)));
        }

        private void KeepOverlap()
        {
            var keep = 0;
            var keptTokens = 0;
            while (keep < _pieces.Count - 1 && keptTokens + _pieces[^(keep + 1)].Tokens <= options.OverlapTokens)
            {
                keptTokens += _pieces[^(keep + 1)].Tokens;
                keep++;
            }

            _pieces.RemoveRange(0, _pieces.Count - keep);
            _overlapPieces = keep;
            _tokens = keptTokens;
        }
    }
}
