using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;

namespace Cohort.Sql.Ast;

/// <summary>Traversal of syntax trees: children, descendants and depth, without recursion.</summary>
internal static class SyntaxTree
{
    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> _properties = new();

    /// <summary>The direct child nodes of <paramref name="node"/>, in declaration order.</summary>
    public static IEnumerable<SqlNode> Children(SqlNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var children = new List<SqlNode>();
        AddChildren(node, children);
        return children;
    }

    /// <summary>Appends the direct child nodes of <paramref name="node"/> to <paramref name="children"/>, in declaration order.</summary>
    public static void AddChildren(SqlNode node, List<SqlNode> children)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(children);
        switch (node)
        {
            case LiteralExpression or ParameterExpression or ColumnReference or WildcardSelectItem or TableReference
                or DropTableStatement or DropIndexStatement or AlterTableDropColumnStatement
                or AlterTableRenameColumnStatement or AlterTableRenameStatement:
                break;
            case UnaryExpression unary:
                children.Add(unary.Operand);
                break;
            case BinaryExpression binary:
                children.Add(binary.Left);
                children.Add(binary.Right);
                break;
            case IsNullExpression isNull:
                children.Add(isNull.Operand);
                break;
            case BetweenExpression between:
                children.Add(between.Operand);
                children.Add(between.Low);
                children.Add(between.High);
                break;
            case InListExpression inList:
                children.Add(inList.Operand);
                children.AddRange(inList.Items);
                break;
            case InSubqueryExpression inQuery:
                children.Add(inQuery.Operand);
                children.Add(inQuery.Query);
                break;
            case ExistsExpression exists:
                children.Add(exists.Query);
                break;
            case LikeExpression like:
                children.Add(like.Operand);
                children.Add(like.Pattern);
                AddOptional(children, like.Escape);
                break;
            case WhenClause whenClause:
                children.Add(whenClause.Condition);
                children.Add(whenClause.Result);
                break;
            case CaseExpression @case:
                AddOptional(children, @case.Operand);
                children.AddRange(@case.Whens);
                AddOptional(children, @case.Else);
                break;
            case CastExpression cast:
                children.Add(cast.Operand);
                break;
            case FunctionCall call:
                children.AddRange(call.Arguments);
                break;
            case SubqueryExpression subquery:
                children.Add(subquery.Query);
                break;
            case ExpressionSelectItem item:
                children.Add(item.Expression);
                break;
            case DerivedTable derived:
                children.Add(derived.Query);
                break;
            case JoinedTable join:
                children.Add(join.Left);
                children.Add(join.Right);
                AddOptional(children, join.Condition);
                break;
            case OrderByItem order:
                children.Add(order.Expression);
                break;
            case SelectStatement select:
                children.AddRange(select.Items);
                children.AddRange(select.From);
                AddOptional(children, select.Where);
                children.AddRange(select.GroupBy);
                AddOptional(children, select.Having);
                children.AddRange(select.OrderBy);
                AddOptional(children, select.Limit);
                AddOptional(children, select.Offset);
                AddOptional(children, select.AsOf);
                break;
            case SetOperationQuery setOperation:
                children.Add(setOperation.Left);
                children.Add(setOperation.Right);
                children.AddRange(setOperation.OrderBy);
                AddOptional(children, setOperation.Limit);
                AddOptional(children, setOperation.Offset);
                break;
            case ValuesQuery valuesQuery:
                foreach (var row in valuesQuery.Rows)
                {
                    children.AddRange(row);
                }

                children.AddRange(valuesQuery.OrderBy);
                AddOptional(children, valuesQuery.Limit);
                AddOptional(children, valuesQuery.Offset);
                break;
            case CommonTableExpression cte:
                children.Add(cte.Query);
                break;
            case WithQuery with:
                children.AddRange(with.Ctes);
                children.Add(with.Body);
                break;
            case CreateTableAsStatement createAs:
                children.Add(createAs.Query);
                break;
            case ValuesSource values:
                foreach (var row in values.Rows)
                {
                    children.AddRange(row);
                }

                break;
            case QuerySource query:
                children.Add(query.Query);
                break;
            case Assignment assignment:
                children.Add(assignment.Value);
                break;
            case OnConflictClause conflict:
                children.AddRange(conflict.Assignments);
                AddOptional(children, conflict.Where);
                break;
            case InsertStatement insert:
                children.Add(insert.Source);
                AddOptional(children, insert.OnConflict);
                children.AddRange(insert.Returning);
                break;
            case UpdateStatement update:
                children.Add(update.Table);
                children.AddRange(update.Assignments);
                AddOptional(children, update.Where);
                children.AddRange(update.Returning);
                break;
            case DeleteStatement delete:
                children.Add(delete.Table);
                AddOptional(children, delete.Where);
                children.AddRange(delete.Returning);
                break;
            case ColumnDefinition column:
                AddOptional(children, column.Default);
                break;
            case TableConstraint:
                break;
            case CreateTableStatement create:
                children.AddRange(create.Columns);
                children.AddRange(create.Constraints);
                break;
            case AlterTableAddColumnStatement alter:
                children.Add(alter.Column);
                break;
            case IndexElement element:
                AddOptional(children, element.Expression);
                break;
            case CreateIndexStatement index:
                children.AddRange(index.Elements);
                break;
            case ExplainStatement explain:
                children.Add(explain.Statement);
                break;
            default:
                throw new ArgumentException($"Unknown syntax node {node.GetType().Name}.", nameof(node));
        }
    }

    private static void AddOptional(List<SqlNode> children, SqlNode? node)
    {
        if (node is not null)
        {
            children.Add(node);
        }
    }

    /// <summary><paramref name="root"/> and every node below it, in pre-order.</summary>
    public static IEnumerable<SqlNode> DescendantsAndSelf(SqlNode root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var stack = new Stack<SqlNode>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            yield return node;
            var children = new List<SqlNode>();
            AddChildren(node, children);
            for (var i = children.Count - 1; i >= 0; i--)
            {
                stack.Push(children[i]);
            }
        }
    }

    /// <summary>
    /// A node at depth <paramref name="maxDepth"/> (the root is at depth 1) that has children, so that
    /// the tree is deeper than allowed; null when the tree is shallow enough.
    /// </summary>
    public static SqlNode? FindTooDeep(SqlNode root, int maxDepth)
    {
        ArgumentNullException.ThrowIfNull(root);
        var stack = new Stack<(SqlNode Node, int Depth)>();
        var children = new List<SqlNode>();
        stack.Push((root, 1));
        while (stack.Count > 0)
        {
            var (node, depth) = stack.Pop();
            children.Clear();
            AddChildren(node, children);
            foreach (var child in children)
            {
                if (depth >= maxDepth)
                {
                    return node;
                }

                stack.Push((child, depth + 1));
            }
        }

        return null;
    }

    /// <summary>The public properties that make up a node's content (everything but its position).</summary>
    internal static PropertyInfo[] Properties(Type type) => _properties.GetOrAdd(type, static t => t
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.Name != nameof(SqlNode.Position) && p.GetIndexParameters().Length == 0)
        .ToArray());
}
