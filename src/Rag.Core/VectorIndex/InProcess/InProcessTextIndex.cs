using System.Buffers;
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

    // Score accumulators, one per search in flight. Every array in this pool is all zeros: a search clears what it
    // wrote before returning its array, which is why it is this index's own pool rather than the shared one.
    private static readonly ArrayPool<float> ScorePool = ArrayPool<float>.Create(maxArrayLength: 1 << 26, maxArraysPerBucket: 32);

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

        // What a walk over postings reads of each entry, kept apart from the entries in a dense array (8 bytes each, so one
        // memory access per posting, mostly from cache): its length in lexemes (-1 once dead) and its collection's ordinal.
        private readonly List<Shape> _shapes = [];
        private long _liveLength;

        public int LiveCount => _entryByChunk.Count;

        public void Add(TextIndexEntry entry)
        {
            RemoveChunk(entry.ChunkId);
            var number = _entries.Count;
            var length = 0;
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

                postings!.Add(number, count);
                length += count;
            }

            _entries.Add(new Entry(entry.ChunkId, entry.DocumentId, entry.CollectionId, entry.Tags));
            _shapes.Add(new Shape(length, _collections.GetOrAdd(entry.CollectionId)));
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

            var averageLength = Math.Max(1f, (float)_liveLength / LiveCount);
            var entries = CollectionsMarshal.AsSpan(_entries);
            var shapes = CollectionsMarshal.AsSpan(_shapes);

            // Collections are checked by ordinal; tags and documents, rarer, on the entry itself.
            var admittedCollections = AdmittedCollections(filter);
            var entryFilter = filter.Tags is not null || filter.DocumentIds is not null ? new CompiledFilter(filter with { CollectionIds = null }) : null;

            // Scores accumulate in a pooled array indexed by entry (cheaper than a hash map for thousands of matches);
            // the entries touched are remembered so that only they are ranked and cleared afterwards.
            var scores = ScorePool.Rent(entries.Length);
            var touched = new List<int>();
            try
            {
                foreach (var lexeme in lexemes.Distinct(StringComparer.Ordinal))
                {
                    if (!_postingsByLexeme.TryGetValue(lexeme, out var postings))
                    {
                        continue;
                    }

                    // Dead postings still count until a compaction: capped, so the IDF stays above zero.
                    var documentFrequency = Math.Min(postings.Count, LiveCount);
                    var idf = MathF.Log(1 + ((LiveCount - documentFrequency + 0.5f) / (documentFrequency + 0.5f)));
                    var numbers = postings.Numbers.AsSpan(0, postings.Count);
                    var counts = postings.Counts.AsSpan(0, postings.Count);
                    for (var i = 0; i < numbers.Length; i++)
                    {
                        var number = numbers[i];
                        var (length, collection) = shapes[number];
                        if (length < 0 || (admittedCollections is not null && !admittedCollections[collection])
                            || (entryFilter is not null && !Admits(entryFilter, entries[number])))
                        {
                            continue;
                        }

                        float frequency = counts[i];
                        if (scores[number] == 0)
                        {
                            touched.Add(number);
                        }

                        scores[number] += idf * frequency * (K1 + 1) / (frequency + (K1 * (1 - B + (B * length / averageLength))));
                    }
                }

                // Equal scores are ordered by chunk id, so the same query always gives the same list.
                var best = new PriorityQueue<int, (float Score, Guid ChunkId)>(limit + 1, WorstFirst.Instance);
                foreach (var number in touched)
                {
                    var candidate = (scores[number], entries[number].ChunkId);
                    if (best.Count < limit)
                    {
                        best.Enqueue(number, candidate);
                    }
                    else if (best.TryPeek(out _, out var worst) && WorstFirst.Instance.Compare(candidate, worst) > 0)
                    {
                        best.DequeueEnqueue(number, candidate);
                    }
                }

                var matches = new TextMatch[best.Count];
                for (var i = matches.Length - 1; best.TryDequeue(out var number, out var ranked); i--)
                {
                    matches[i] = new TextMatch(entries[number].ChunkId, entries[number].DocumentId, ranked.Score);
                }

                return matches;
            }
            finally
            {
                foreach (var number in touched)
                {
                    scores[number] = 0;
                }

                ScorePool.Return(scores);
            }
        }

        /// <summary>Which collection ordinals the filter admits, or null when it admits every collection.</summary>
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

            return admitted;
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

        private void Kill(int number)
        {
            var shape = _shapes[number];
            if (shape.Length >= 0)
            {
                _entryByChunk.Remove(_entries[number].ChunkId);
                _liveLength -= shape.Length;
                _shapes[number] = shape with { Length = -1 };
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
                var isLive = _shapes[number].Length >= 0;
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

    /// <summary>The entries a lexeme occurs in, in the order they were added, with its count in each.</summary>
    private sealed class Postings
    {
        public int[] Numbers { get; private set; } = new int[4];

        public int[] Counts { get; private set; } = new int[4];

        public int Count { get; private set; }

        public void Add(int number, int count)
        {
            if (Count == Numbers.Length)
            {
                var numbers = Numbers;
                var counts = Counts;
                Array.Resize(ref numbers, Count * 2);
                Array.Resize(ref counts, Count * 2);
                Numbers = numbers;
                Counts = counts;
            }

            Numbers[Count] = number;
            Counts[Count] = count;
            Count++;
        }

        /// <returns>False when no posting is left.</returns>
        public bool Renumber(int[] renumbered)
        {
            var kept = 0;
            for (var i = 0; i < Count; i++)
            {
                if (renumbered[Numbers[i]] is var number and >= 0)
                {
                    Numbers[kept] = number;
                    Counts[kept] = Counts[i];
                    kept++;
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
