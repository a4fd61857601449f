using System.Collections.Concurrent;
using Cohort.Sql.Ast;
using Cohort.Sql.Parsing;

namespace Cohort.Sql.Planning;

/// <summary>
/// Parsed statements and their plans by statement text. A plan stays valid while the schemas it was made against
/// are the ones the executing view shows; otherwise it is made again. Bounded: when full, it starts over.
/// </summary>
internal sealed class StatementCache(int capacity)
{
    private readonly ConcurrentDictionary<string, CachedStatement> _entries = new(StringComparer.Ordinal);

    /// <summary>The cached statement for <paramref name="text"/>, parsing it on a miss (syntax errors are not cached).</summary>
    public CachedStatement Get(string text)
    {
        if (_entries.TryGetValue(text, out var cached))
        {
            return cached;
        }

        var statement = Parser.Parse(text);
        if (_entries.Count >= capacity)
        {
            _entries.Clear();
        }

        return _entries.GetOrAdd(text, new CachedStatement(statement));
    }

    /// <summary>A parsed statement and its latest plan.</summary>
    internal sealed class CachedStatement(Statement statement)
    {
        private volatile StatementPlan? _plan;

        public Statement Statement { get; } = statement;

        public StatementPlan? Plan
        {
            get => _plan;
            set => _plan = value;
        }
    }
}
