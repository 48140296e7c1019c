using System.Collections.Concurrent;
using Npgsql;

namespace Rag.Core.VectorIndex.InProcess;

/// <summary>
/// Turns a question into the lexemes of PostgreSQL's 'english' text search configuration: the lexemes the chunks'
/// tsvector holds, so BM25 matches what PostgreSQL's own full-text search would. A plain question (ASCII letters,
/// white space and sentence punctuation) is split into words here, and each word's lexeme, none for a stop word, is
/// asked of PostgreSQL once and then remembered: questions reuse a small vocabulary, so most searches need no round
/// trip. Anything else (digits, hyphens, addresses, other scripts), which PostgreSQL's parser reads in ways of its
/// own, goes to PostgreSQL whole.
/// </summary>
internal sealed class QueryLexemes(NpgsqlDataSource dataSource)
{
    // Bounds the memory that hostile questions full of made-up words can take: about 50,000 × 64 characters at most.
    private const int MaxRememberedWords = 50_000;
    private const int MaxRememberedWordLength = 64;

    private readonly ConcurrentDictionary<string, string[]> _lexemesByWord = new(StringComparer.Ordinal);

    public async Task<IReadOnlyCollection<string>> GetAsync(string query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (SplitPlainWords(query) is not { } words)
        {
            return await ParseAsync(query, cancellationToken);
        }

        var lexemes = new HashSet<string>(StringComparer.Ordinal);
        List<string>? unknown = null;
        foreach (var word in words)
        {
            if (_lexemesByWord.TryGetValue(word, out var known))
            {
                lexemes.UnionWith(known);
            }
            else
            {
                (unknown ??= []).Add(word);
            }
        }

        if (unknown is not null)
        {
            foreach (var (word, found) in await LookUpAsync(unknown, cancellationToken))
            {
                Remember(word, found);
                lexemes.UnionWith(found);
            }
        }

        // In PostgreSQL's order, as tsvector_to_array gives them: BM25 then adds a query's terms in the same order on every replica.
        return [.. lexemes.Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// The question's words as written, or null when it holds anything PostgreSQL's parser might not simply split
    /// on: only ASCII letters, white space, <c>? ! , ; " ( ) '</c>, and a full stop before white space or the end pass.
    /// Not lower-cased here: PostgreSQL lower-cases by the database's locale, which need not map ASCII as we would
    /// (Turkish maps I to dotless ı), so "Vacuum" and "vacuum" are looked up once each.
    /// </summary>
    internal static HashSet<string>? SplitPlainWords(string query)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        var start = -1;
        for (var i = 0; i <= query.Length; i++)
        {
            var c = i < query.Length ? query[i] : ' ';
            if (char.IsAsciiLetter(c))
            {
                start = start < 0 ? i : start;
                continue;
            }

            if (!IsSeparator(c) && !(c == '.' && (i + 1 == query.Length || char.IsWhiteSpace(query[i + 1]))))
            {
                return null;
            }

            if (start >= 0)
            {
                words.Add(query[start..i]);
                start = -1;
            }
        }

        return words;

        static bool IsSeparator(char c) => c is ' ' or '\t' or '\n' or '\r' or '?' or '!' or ',' or ';' or '"' or '(' or ')' or '\'';
    }

    private void Remember(string word, string[] lexemes)
    {
        if (word.Length > MaxRememberedWordLength)
        {
            return;
        }

        if (_lexemesByWord.Count >= MaxRememberedWords)
        {
            _lexemesByWord.Clear();
        }

        _lexemesByWord[word] = lexemes;
    }

    private async Task<List<(string Word, string[] Lexemes)>> LookUpAsync(List<string> words, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT w, tsvector_to_array(to_tsvector('english', w)) FROM unnest($1::text[]) AS w");
        command.Parameters.Add(new() { Value = words.ToArray() });
        var found = new List<(string, string[])>(words.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found.Add((reader.GetString(0), reader.GetFieldValue<string[]>(1)));
        }

        return found;
    }

    private async Task<string[]> ParseAsync(string query, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT tsvector_to_array(to_tsvector('english', $1))");
        command.Parameters.Add(new() { Value = query });
        return (string[]?)await command.ExecuteScalarAsync(cancellationToken) ?? [];
    }
}
