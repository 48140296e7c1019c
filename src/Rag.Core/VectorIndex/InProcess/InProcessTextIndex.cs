using System.Runtime.InteropServices;

namespace Rag.Core.VectorIndex.InProcess;

/// <summary>One lexeme of a chunk as PostgreSQL's text search parsed it, with how often it occurs there.</summary>
public readonly record struct LexemeCount(string Lexeme, int Count);

/// <summary>A chunk's place in the text index: what it belongs to (for filters) and its lexemes.</summary>
public sealed record TextIndexEntry(Guid ChunkId, Guid DocumentId, Guid CollectionId, string[] Tags, IReadOnlyList<LexemeCount> Lexemes);

public readonly record struct TextMatch(Guid ChunkId, Guid DocumentId, float Score);

/// <summary>
/// An inverted index of the chunks' lexemes in this process's memory, ranked by Okapi BM25: the text half of hybrid
/// search when the vectors are in-process too. Ranking every chunk a query's words occur in costs PostgreSQL a heap
/// visit and a tsvector read per match (tens of milliseconds for a few thousand matches); here it is a walk over
/// posting lists. The lexemes are PostgreSQL's own (the chunks' tsvector column), so it matches what PostgreSQL's
/// full-text search matches; only the ranking differs (BM25 rather than ts_rank_cd). Thread-safe.
/// </summary>
/// <remarks>
/// A removed chunk is only marked dead; its postings are skipped and dropped by a compaction once dead entries
/// outnumber half the live ones. Document frequencies count postings, dead ones included, until then: IDF is
/// approximate by at most that much between compactions.
/// </remarks>
public sealed class InProcessTextIndex : IDisposable
{
    // The usual BM25 constants (Robertson and Zaragoza): term-frequency saturation and length normalisation.
    private const float K1 = 1.2f;
    private const float B = 0.75f;

    // Entries scored together: their scores (16 KB) stay in the first-level cache while every term's postings in the
    // block are added up.
    private const int BlockSize = 4096;

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private Contents _contents = new();
    private volatile bool _loaded;

    /// <summary>False until the first <see cref="Load"/>: an empty index then means "not loaded yet", not "no matches".</summary>
    public bool IsLoaded => _loaded;

    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _contents.LiveCount;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Replaces everything with <paramref name="entries"/>, built aside so that searches go on meanwhile.</summary>
    public void Load(IEnumerable<TextIndexEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var contents = new Contents();
        foreach (var entry in entries)
        {
            ArgumentNullException.ThrowIfNull(entry, nameof(entries));
            contents.Add(entry);
        }

        Write(() => _contents = contents);
        _loaded = true;
    }

    /// <summary>Makes <paramref name="entries"/> the only chunks of <paramref name="documentId"/>.</summary>
    public void ReplaceDocument(Guid documentId, IReadOnlyList<TextIndexEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Any(entry => entry.DocumentId != documentId))
        {
            throw new ArgumentException($"Every entry must belong to document {documentId}.", nameof(entries));
        }

        Write(() =>
        {
            _contents.RemoveDocument(documentId);
            foreach (var entry in entries)
            {
                _contents.Add(entry);
            }

            _contents.CompactIfWorthIt();
        });
    }

    public void DeleteDocument(Guid documentId) => Write(() =>
    {
        _contents.RemoveDocument(documentId);
        _contents.CompactIfWorthIt();
    });

    /// <summary>The chunks containing any of <paramref name="lexemes"/>, best BM25 score first.</summary>
    public IReadOnlyList<TextMatch> Search(IReadOnlyCollection<string> lexemes, int limit, VectorFilter filter)
    {
        ArgumentNullException.ThrowIfNull(lexemes);
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        _lock.EnterReadLock();
        try
        {
            return _contents.Search(lexemes, limit, filter);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public void Dispose() => _lock.Dispose();

    private void Write(Action write)
    {
        _lock.EnterWriteLock();
        try
        {
            write();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private sealed class Contents
    {
        private readonly Dictionary<string, Postings> _postingsByLexeme = new(StringComparer.Ordinal);
        private readonly Dictionary<Guid, int> _entryByChunk = [];
        private readonly Dictionary<Guid, List<int>> _entriesByDocument = [];
        private readonly CollectionOrdinals _collections = new();
        private readonly List<Entry> _entries = [];

        // Each entry's length in lexemes and its collection's ordinal, kept apart from the entries in a dense array
        // (8 bytes each): a collection filter reads one per posting.
        private readonly List<Shape> _shapes = [];

        // One bit per entry, set once it is removed: a walk over postings checks every one, and 100,000 entries take
        // 12.5 KB, which stays in cache where a field of each entry would not.
        private ulong[] _dead = new ulong[1];
        private long _liveLength;

        public int LiveCount => _entryByChunk.Count;

        public void Add(TextIndexEntry entry)
        {
            RemoveChunk(entry.ChunkId);
            var number = _entries.Count;
            // The length goes into every posting, so it is summed first.
            var length = entry.Lexemes.Sum(lexeme => Math.Max(0, lexeme.Count));
            foreach (var (lexeme, count) in entry.Lexemes)
            {
                if (count <= 0)
                {
                    continue;
                }

                ref var postings = ref CollectionsMarshal.GetValueRefOrAddDefault(_postingsByLexeme, lexeme, out var exists);
                if (!exists)
                {
                    postings = new Postings();
                }

                postings!.Add(number, count, length);
            }

            _entries.Add(new Entry(entry.ChunkId, entry.DocumentId, entry.CollectionId, entry.Tags));
            _shapes.Add(new Shape(length, _collections.GetOrAdd(entry.CollectionId)));
            if (number / 64 >= _dead.Length)
            {
                Array.Resize(ref _dead, _dead.Length * 2);
            }

            _entryByChunk[entry.ChunkId] = number;
            ref var ofDocument = ref CollectionsMarshal.GetValueRefOrAddDefault(_entriesByDocument, entry.DocumentId, out _);
            (ofDocument ??= []).Add(number);
            _liveLength += length;
        }

        public void RemoveDocument(Guid documentId)
        {
            if (_entriesByDocument.Remove(documentId, out var numbers))
            {
                foreach (var number in numbers)
                {
                    Kill(number);
                }
            }
        }

        public void CompactIfWorthIt()
        {
            var dead = _entries.Count - LiveCount;
            if (dead > 1_000 && dead > LiveCount / 2)
            {
                Compact();
            }
        }

        public IReadOnlyList<TextMatch> Search(IReadOnlyCollection<string> lexemes, int limit, VectorFilter filter)
        {
            if (LiveCount == 0)
            {
                return [];
            }

            var entries = CollectionsMarshal.AsSpan(_entries);
            var shapes = CollectionsMarshal.AsSpan(_shapes);

            // Collections are checked by ordinal; tags and documents, rarer, on the entry itself.
            var admittedCollections = AdmittedCollections(filter);
            var entryFilter = filter.Tags is not null || filter.DocumentIds is not null ? new CompiledFilter(filter with { CollectionIds = null }) : null;

            var terms = new List<Term>();
            foreach (var lexeme in lexemes.Distinct(StringComparer.Ordinal))
            {
                if (_postingsByLexeme.TryGetValue(lexeme, out var postings))
                {
                    // Dead postings still count until a compaction: capped, so the IDF stays above zero.
                    var documentFrequency = Math.Min(postings.Count, LiveCount);
                    terms.Add(new Term(postings, MathF.Log(1 + ((LiveCount - documentFrequency + 0.5f) / (documentFrequency + 0.5f)))));
                }
            }

            // BM25's length normalisation K1 × (1 − B + B × length / average), split into a constant and a per-length factor.
            var averageLength = Math.Max(1f, (float)_liveLength / LiveCount);
            var normalisationBase = K1 * (1 - B);
            var normalisationPerLength = K1 * B / averageLength;

            // Term at a time, one block of entries at a time: a block's scores fit in the first-level cache, where
            // scattered additions over every entry would miss it on nearly every posting. Postings are in entry order,
            // so each term's cursor only moves forward.
            Span<float> scores = stackalloc float[BlockSize];
            Span<ushort> touched = stackalloc ushort[BlockSize];
            var cursors = new int[terms.Count];
            var best = new PriorityQueue<int, (float Score, Guid ChunkId)>(limit + 1, WorstFirst.Instance);
            var worstScore = float.NegativeInfinity;
            for (var blockStart = 0; blockStart < entries.Length; blockStart += BlockSize)
            {
                var blockEnd = blockStart + BlockSize;
                var touchedCount = 0;
                for (var t = 0; t < terms.Count; t++)
                {
                    var (postings, idf) = terms[t];
                    var items = postings.Items.AsSpan(0, postings.Count);
                    var i = cursors[t];
                    for (; i < items.Length && items[i].Number < blockEnd; i++)
                    {
                        var posting = items[i];
                        var number = posting.Number;
                        if (IsDead(number) || (admittedCollections is not null && !admittedCollections[shapes[number].Collection])
                            || (entryFilter is not null && !Admits(entryFilter, entries[number])))
                        {
                            continue;
                        }

                        var local = number - blockStart;
                        if (scores[local] == 0)
                        {
                            touched[touchedCount++] = (ushort)local;
                        }

                        float frequency = posting.Count;
                        scores[local] += idf * frequency * (K1 + 1) / (frequency + normalisationBase + (normalisationPerLength * posting.Length));
                    }

                    cursors[t] = i;
                }

                foreach (var local in touched[..touchedCount])
                {
                    var score = scores[local];
                    scores[local] = 0;

                    // Most matches score below the worst kept: one float comparison turns them away.
                    if (score < worstScore)
                    {
                        continue;
                    }

                    // Equal scores are ordered by chunk id, so the same query always gives the same list.
                    var number = blockStart + local;
                    var candidate = (score, entries[number].ChunkId);
                    if (best.Count < limit)
                    {
                        best.Enqueue(number, candidate);
                    }
                    else if (best.TryPeek(out _, out var worst) && WorstFirst.Instance.Compare(candidate, worst) > 0)
                    {
                        best.DequeueEnqueue(number, candidate);
                    }

                    if (best.Count == limit && best.TryPeek(out _, out var kept))
                    {
                        worstScore = kept.Score;
                    }
                }
            }

            var matches = new TextMatch[best.Count];
            for (var i = matches.Length - 1; best.TryDequeue(out var number, out var ranked); i--)
            {
                matches[i] = new TextMatch(entries[number].ChunkId, entries[number].DocumentId, ranked.Score);
            }

            return matches;
        }

        /// <summary>Which collection ordinals the filter admits, or null when it admits every collection there is.</summary>
        private bool[]? AdmittedCollections(VectorFilter filter)
        {
            if (filter.CollectionIds is not { } collectionIds)
            {
                return null;
            }

            var admitted = new bool[_collections.Count];
            foreach (var collectionId in collectionIds)
            {
                if (_collections.TryGet(collectionId, out var ordinal))
                {
                    admitted[ordinal] = true;
                }
            }

            // A reader's filter often names every collection there is: then it costs nothing per posting.
            return Array.TrueForAll(admitted, isAdmitted => isAdmitted) ? null : admitted;
        }

        private static bool Admits(CompiledFilter filter, in Entry entry) =>
            filter.Matches(entry.CollectionId, entry.Tags) && (filter.DocumentIds is not { } documentIds || documentIds.Contains(entry.DocumentId));

        private void RemoveChunk(Guid chunkId)
        {
            if (_entryByChunk.TryGetValue(chunkId, out var number))
            {
                var documentId = _entries[number].DocumentId;
                if (_entriesByDocument.TryGetValue(documentId, out var numbers) && numbers.Remove(number) && numbers.Count == 0)
                {
                    _entriesByDocument.Remove(documentId);
                }

                Kill(number);
            }
        }

        private bool IsDead(int number) => (_dead[number >> 6] & (1UL << number)) != 0;

        private void Kill(int number)
        {
            if (!IsDead(number))
            {
                _dead[number >> 6] |= 1UL << number;
                _entryByChunk.Remove(_entries[number].ChunkId);
                _liveLength -= _shapes[number].Length;
            }
        }

        // Renumbers the live entries densely and drops the dead ones' postings.
        private void Compact()
        {
            var renumbered = new int[_entries.Count];
            var live = new List<Entry>(LiveCount);
            var liveShapes = new List<Shape>(LiveCount);
            for (var number = 0; number < _entries.Count; number++)
            {
                var isLive = !IsDead(number);
                renumbered[number] = isLive ? live.Count : -1;
                if (isLive)
                {
                    live.Add(_entries[number]);
                    liveShapes.Add(_shapes[number]);
                }
            }

            foreach (var (lexeme, postings) in _postingsByLexeme.ToList())
            {
                if (!postings.Renumber(renumbered))
                {
                    _postingsByLexeme.Remove(lexeme);
                }
            }

            _entries.Clear();
            _entries.AddRange(live);
            _shapes.Clear();
            _shapes.AddRange(liveShapes);
            _dead = new ulong[Math.Max(1, (_entries.Count + 63) / 64)];
            _entryByChunk.Clear();
            _entriesByDocument.Clear();
            for (var number = 0; number < _entries.Count; number++)
            {
                _entryByChunk[_entries[number].ChunkId] = number;
                ref var ofDocument = ref CollectionsMarshal.GetValueRefOrAddDefault(_entriesByDocument, _entries[number].DocumentId, out _);
                (ofDocument ??= []).Add(number);
            }
        }
    }

    private readonly record struct Entry(Guid ChunkId, Guid DocumentId, Guid CollectionId, string[] Tags);

    private readonly record struct Shape(int Length, int Collection);

    private readonly record struct Term(Postings Postings, float Idf);

    /// <summary>
    /// One occurrence of a lexeme: the entry, how often the lexeme occurs there, and the entry's length, carried along
    /// so that scoring reads nothing else of the entry (counts and lengths beyond 65,535 are capped; no chunk has them).
    /// </summary>
    private readonly record struct Posting(int Number, ushort Count, ushort Length);

    /// <summary>The entries a lexeme occurs in, in the order they were added (so by entry number).</summary>
    private sealed class Postings
    {
        public Posting[] Items { get; private set; } = new Posting[4];

        public int Count { get; private set; }

        public void Add(int number, int count, int length)
        {
            if (Count == Items.Length)
            {
                var items = Items;
                Array.Resize(ref items, Count * 2);
                Items = items;
            }

            Items[Count++] = new Posting(number, (ushort)Math.Min(count, ushort.MaxValue), (ushort)Math.Min(length, ushort.MaxValue));
        }

        /// <returns>False when no posting is left.</returns>
        public bool Renumber(int[] renumbered)
        {
            var kept = 0;
            for (var i = 0; i < Count; i++)
            {
                if (renumbered[Items[i].Number] is var number and >= 0)
                {
                    Items[kept++] = Items[i] with { Number = number };
                }
            }

            Count = kept;
            return kept > 0;
        }
    }

    private sealed class WorstFirst : IComparer<(float Score, Guid ChunkId)>
    {
        public static readonly WorstFirst Instance = new();

        public int Compare((float Score, Guid ChunkId) x, (float Score, Guid ChunkId) y) =>
            x.Score != y.Score ? x.Score.CompareTo(y.Score) : y.ChunkId.CompareTo(x.ChunkId);
    }
}
