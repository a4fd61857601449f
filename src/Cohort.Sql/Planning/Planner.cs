using Cohort.Sql.Ast;
using Cohort.Sql.Execution;
using Cohort.Sql.Storage;

namespace Cohort.Sql.Planning;

/// <summary>
/// Turns statements into plans against the schemas a view shows. Records the schemas it used (a cached plan is
/// valid while they are unchanged), every scan (to lock or wait for before execution) and every subquery plan.
/// </summary>
internal sealed partial class Planner(ISqlView view)
{
    private readonly Dictionary<string, TableSchema?> _dependencies = new(StringComparer.Ordinal);
    private readonly Dictionary<QueryExpression, SubqueryPlan> _subqueries = new(ReferenceEqualityComparer.Instance);
    private readonly List<ScanNode> _scans = [];

    // The statement's outermost SELECT: the only one AS OF may qualify (the engine reads the whole statement at it).
    private QueryExpression? _root;

    /// <summary>The schema (or absence) of each table the plans depend on.</summary>
    public IReadOnlyDictionary<string, TableSchema?> Dependencies => _dependencies;

    /// <summary>The planned subqueries, by statement node.</summary>
    public IReadOnlyDictionary<QueryExpression, SubqueryPlan> SubqueryPlans => _subqueries;

    /// <summary>Every scan of every plan made, subqueries included.</summary>
    public IReadOnlyList<ScanNode> Scans => _scans;

    /// <summary>The schema of <paramref name="name"/>; throws when the table does not exist.</summary>
    public TableSchema Table(string name) => FindTable(name) ?? throw SqlError.Type($"relation \"{name}\" does not exist");

    /// <summary>The schema of <paramref name="name"/>, or null (recorded as a dependency either way).</summary>
    public TableSchema? FindTable(string name)
    {
        if (!_dependencies.TryGetValue(name, out var schema))
        {
            schema = view.FindTable(name);
            _dependencies[name] = schema;
        }

        return schema;
    }

    /// <summary>A scan of <paramref name="table"/> under <paramref name="alias"/>, using the best access path the conjuncts allow.</summary>
    public ScanNode Scan(TableSchema table, string alias, IReadOnlyList<Expression> conjuncts, Frame frame)
    {
        var scan = new ScanNode(ChooseAccess(table, alias, conjuncts, frame), alias);
        _scans.Add(scan);
        return scan;
    }

    /// <summary>
    /// Compiles an expression over rows of <paramref name="scope"/> in <paramref name="frame"/>, planning the subqueries it
    /// contains first (each sees <paramref name="scope"/> and then the frame's outer rows as its enclosing rows).
    /// </summary>
    public CompiledExpression Compile(Expression expression, RowSchema scope, Frame frame)
    {
        foreach (var query in ExpressionRewriter.Subqueries(expression))
        {
            if (_subqueries.ContainsKey(query))
            {
                continue;
            }

            var inner = new Frame(RowSchema.Enclosing(scope, frame.Outer));
            var plan = PlanQuery(query, inner);
            if (plan.ColumnNames.Count != 1 && UsedAsValue(expression, query) is { } problem)
            {
                // Refused whatever the rows, as PostgreSQL does, not only when the subquery returns some.
                throw SqlError.Type(problem);
            }

            _subqueries[query] = new SubqueryPlan(plan.Root, inner.Usage.IsUsed);
            // The subquery's enclosing rows are this level's row, then this level's own enclosing rows: only a read
            // past this level's row makes this level correlated too (a subquery correlated with this level alone
            // still runs once per execution of this level).
            if (inner.Usage.MaxIndex >= scope.Count)
            {
                frame.Usage.Mark(inner.Usage.MaxIndex - scope.Count);
            }
        }

        return ExpressionCompiler.Compile(expression, scope, frame.Outer, frame.Usage);
    }

    /// <summary>The error for a subquery of several columns where <paramref name="expression"/> uses it as one value (IN, or a scalar subquery); null for EXISTS.</summary>
    private static string? UsedAsValue(Expression expression, QueryExpression query)
    {
        foreach (var node in SyntaxTree.DescendantsAndSelf(expression))
        {
            switch (node)
            {
                case InSubqueryExpression i when ReferenceEquals(i.Query, query):
                    return "subquery has too many columns";
                case SubqueryExpression e when ReferenceEquals(e.Query, query):
                    return "subquery must return only one column";
            }
        }

        return null;
    }

    /// <summary>One query level: the enclosing rows it may reference and whether it did.</summary>
    internal sealed class Frame(RowSchema? outer)
    {
        public RowSchema? Outer { get; } = outer;

        public OuterUsage Usage { get; } = new();

        private readonly HashSet<string> _aliases = new(StringComparer.Ordinal);
        private readonly List<RowSchema> _tables = [];
        private bool _hasDerived;

        /// <summary>Records the FROM items of this level (tables by alias; derived tables make every unqualified name local).</summary>
        public void DeclareLocals(IEnumerable<TableSource> from, Func<string, TableSchema?> find)
        {
            foreach (var source in from)
            {
                switch (source)
                {
                    case TableReference t:
                        _aliases.Add(t.Alias ?? t.Name);
                        if (find(t.Name) is { } schema)
                        {
                            _tables.Add(schema.ToRowSchema(t.Alias ?? t.Name));
                        }
                        else
                        {
                            // A common table expression (or a missing table): any unqualified name may be its.
                            _hasDerived = true;
                        }

                        break;
                    case DerivedTable d:
                        _aliases.Add(d.Alias);
                        _hasDerived = true;
                        break;
                    case JoinedTable j:
                        DeclareLocals([j.Left, j.Right], find);
                        break;
                }
            }
        }

        /// <summary>Whether a FROM item of this level could supply <paramref name="column"/>.</summary>
        public bool IsLocal(ColumnReference column) => column.Table is not null
            ? _aliases.Contains(column.Table)
            : _hasDerived || _tables.Any(t => t.TryResolve(null, column.Column, out _) != ColumnLookup.NotFound);

        /// <summary>For a grouped query: the rows before grouping (to explain a reference to an ungrouped column).</summary>
        public RowSchema? Ungrouped { get; set; }
    }
}
