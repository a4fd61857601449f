using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Cohort.Core;
using Cohort.Sql.Parsing;

namespace Cohort.Sql.Ast;

/// <summary>
/// Prints syntax trees back as SQL. The output parses to a structurally equal tree (see
/// <see cref="SyntaxComparer"/>): parentheses are added exactly where precedence needs them, names
/// are double-quoted when they are not plain lower-case words, and parameters print as <c>$n</c>.
/// </summary>
internal static class SqlPrinter
{
    // Binding strength of each printed form, lowest first; mirrors the parser's precedence.
    private const int OrLevel = 1;
    private const int AndLevel = 2;
    private const int NotLevel = 3;
    private const int IsLevel = 4;
    private const int ComparisonLevel = 5;
    private const int RangeLevel = 6;
    private const int ConcatLevel = 7;
    private const int AdditiveLevel = 8;
    private const int MultiplicativeLevel = 9;
    private const int UnaryLevel = 10;
    private const int PrimaryLevel = 11;

    /// <summary>Prints any node.</summary>
    public static string Print(SqlNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var builder = new StringBuilder();
        Write(builder, node);
        return builder.ToString();
    }

    /// <summary>Prints a name, double-quoting it unless it reads back unchanged without quotes.</summary>
    public static string Name(string name) =>
        Lexer.IsPlainName(name) ? name : "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Prints a constant as a SQL literal that lexes back to the same value.</summary>
    public static string Literal(Value value) => value.Kind switch
    {
        ValueKind.Null => "NULL",
        ValueKind.Bool => value.AsBool() ? "TRUE" : "FALSE",
        ValueKind.Int64 => value.AsInt64().ToString(CultureInfo.InvariantCulture),
        ValueKind.Decimal => DecimalLiteral(value.AsDecimal()),
        ValueKind.Double => DoubleLiteral(value.AsDouble()),
        ValueKind.String => "'" + value.AsString().Replace("'", "''", StringComparison.Ordinal) + "'",
        _ => "'" + value.ToString().Replace("'", "''", StringComparison.Ordinal) + "'",
    };

    private static string DecimalLiteral(decimal value)
    {
        var text = value.ToString(CultureInfo.InvariantCulture);

        // A decimal with no fraction digits would read back as an integer; "1." reads back as decimal 1.
        return value.Scale == 0 ? text + "." : text;
    }

    private static string DoubleLiteral(double value)
    {
        if (!double.IsFinite(value))
        {
            return $"CAST('{(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity")}' AS DOUBLE PRECISION)";
        }

        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('E', StringComparison.Ordinal) ? text : text + "E0";
    }

    private static void Write(StringBuilder sb, SqlNode node)
    {
        switch (node)
        {
            case Expression expression:
                WriteExpression(sb, expression);
                break;
            case SelectStatement select:
                WriteSelect(sb, select);
                break;
            case SetOperationQuery setOperation:
                WriteOperand(sb, setOperation.Left);
                sb.Append(setOperation.Operator switch
                {
                    SetOperator.Union => " UNION ",
                    SetOperator.Intersect => " INTERSECT ",
                    _ => " EXCEPT ",
                }).Append(setOperation.All ? "ALL " : "");
                WriteOperand(sb, setOperation.Right);
                WriteQueryTail(sb, setOperation.OrderBy, setOperation.Limit, setOperation.Offset);
                break;
            case ValuesQuery values:
                WriteRows(sb, values.Rows);
                WriteQueryTail(sb, values.OrderBy, values.Limit, values.Offset);
                break;
            case WithQuery with:
                sb.Append(with.Recursive ? "WITH RECURSIVE " : "WITH ");
                WriteList(sb, with.Ctes);
                sb.Append(' ');
                Write(sb, with.Body);
                break;
            case CommonTableExpression cte:
                sb.Append(Name(cte.Name));
                if (!cte.Columns.IsEmpty)
                {
                    sb.Append(' ');
                    WriteNames(sb, cte.Columns);
                }

                sb.Append(" AS (");
                Write(sb, cte.Query);
                sb.Append(')');
                break;
            case CreateTableAsStatement createAs:
                sb.Append("CREATE TABLE ").Append(createAs.IfNotExists ? "IF NOT EXISTS " : "").Append(Name(createAs.Name));
                if (!createAs.Columns.IsEmpty)
                {
                    sb.Append(' ');
                    WriteNames(sb, createAs.Columns);
                }

                sb.Append(" AS ");
                Write(sb, createAs.Query);
                break;
            case InsertStatement insert:
                WriteInsert(sb, insert);
                break;
            case UpdateStatement update:
                sb.Append("UPDATE ");
                Write(sb, update.Table);
                sb.Append(" SET ");
                WriteList(sb, update.Assignments);
                WriteOptional(sb, " WHERE ", update.Where);
                WriteReturning(sb, update.Returning);
                break;
            case DeleteStatement delete:
                sb.Append("DELETE FROM ");
                Write(sb, delete.Table);
                WriteOptional(sb, " WHERE ", delete.Where);
                WriteReturning(sb, delete.Returning);
                break;
            case CreateTableStatement create:
                sb.Append("CREATE TABLE ").Append(create.IfNotExists ? "IF NOT EXISTS " : "").Append(Name(create.Name)).Append(" (");
                WriteList(sb, create.Columns);
                foreach (var constraint in create.Constraints)
                {
                    sb.Append(", ");
                    Write(sb, constraint);
                }

                sb.Append(')');
                break;
            case DropTableStatement drop:
                sb.Append("DROP TABLE ").Append(drop.IfExists ? "IF EXISTS " : "").Append(string.Join(", ", drop.Names.Select(Name)));
                break;
            case CreateIndexStatement index:
                sb.Append(index.Unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ").Append(index.IfNotExists ? "IF NOT EXISTS " : "")
                    .Append(Name(index.Name)).Append(" ON ").Append(Name(index.Table));
                if (index.IsPlain)
                {
                    WriteNames(sb, index.Columns);
                    break;
                }

                sb.Append('(');
                foreach (var (i, element) in index.Elements.Index())
                {
                    sb.Append(i == 0 ? "" : ", ");
                    Write(sb, element);
                }

                sb.Append(')');
                break;
            case IndexElement element:
                if (element.Column is { } indexColumn)
                {
                    sb.Append(Name(indexColumn));
                }
                else
                {
                    sb.Append('(');
                    WriteExpression(sb, element.Expression!);
                    sb.Append(')');
                }

                sb.Append(element.Descending ? " DESC" : "").Append(element.Nulls switch
                {
                    NullsOrder.First => " NULLS FIRST",
                    NullsOrder.Last => " NULLS LAST",
                    _ => "",
                });
                break;
            case DropIndexStatement drop:
                sb.Append("DROP INDEX ").Append(drop.IfExists ? "IF EXISTS " : "").Append(Name(drop.Name));
                break;
            case AlterTableAddColumnStatement alter:
                sb.Append("ALTER TABLE ").Append(Name(alter.Table)).Append(" ADD COLUMN ").Append(alter.IfNotExists ? "IF NOT EXISTS " : "");
                Write(sb, alter.Column);
                break;
            case AlterTableDropColumnStatement drop:
                sb.Append("ALTER TABLE ").Append(Name(drop.Table)).Append(" DROP COLUMN ").Append(drop.IfExists ? "IF EXISTS " : "")
                    .Append(Name(drop.Column)).Append(drop.Cascade ? " CASCADE" : "");
                break;
            case AlterTableRenameColumnStatement rename:
                sb.Append("ALTER TABLE ").Append(Name(rename.Table)).Append(" RENAME COLUMN ").Append(Name(rename.Column)).Append(" TO ").Append(Name(rename.NewName));
                break;
            case AlterTableRenameStatement rename:
                sb.Append("ALTER TABLE ").Append(Name(rename.Table)).Append(" RENAME TO ").Append(Name(rename.NewName));
                break;
            case ExplainStatement explain:
                sb.Append("EXPLAIN ");
                Write(sb, explain.Statement);
                break;
            case ExpressionSelectItem item:
                WriteExpression(sb, item.Expression);
                if (item.Alias is not null)
                {
                    sb.Append(" AS ").Append(Name(item.Alias));
                }

                break;
            case WildcardSelectItem wildcard:
                sb.Append(wildcard.Table is null ? "*" : Name(wildcard.Table) + ".*");
                break;
            case TableReference table:
                sb.Append(Name(table.Name));
                if (table.Alias is not null)
                {
                    sb.Append(" AS ").Append(Name(table.Alias));
                }

                break;
            case DerivedTable derived:
                sb.Append('(');
                Write(sb, derived.Query);
                sb.Append(") AS ").Append(Name(derived.Alias));
                if (!derived.ColumnAliases.IsEmpty)
                {
                    sb.Append(' ');
                    WriteNames(sb, derived.ColumnAliases);
                }

                break;
            case JoinedTable join:
                Write(sb, join.Left);
                sb.Append(join.Kind switch
                {
                    JoinKind.Left => " LEFT JOIN ",
                    JoinKind.Cross => " CROSS JOIN ",
                    JoinKind.Right => " RIGHT JOIN ",
                    JoinKind.Full => " FULL JOIN ",
                    _ => " JOIN ",
                });
                if (join.Right is JoinedTable)
                {
                    sb.Append('(');
                    Write(sb, join.Right);
                    sb.Append(')');
                }
                else
                {
                    Write(sb, join.Right);
                }

                WriteOptional(sb, " ON ", join.Condition);
                break;
            case OrderByItem order:
                WriteExpression(sb, order.Expression);
                sb.Append(order.Descending ? " DESC" : "").Append(order.Nulls switch
                {
                    NullsOrder.First => " NULLS FIRST",
                    NullsOrder.Last => " NULLS LAST",
                    _ => "",
                });
                break;
            case WhenClause whenClause:
                sb.Append("WHEN ");
                WriteExpression(sb, whenClause.Condition);
                sb.Append(" THEN ");
                WriteExpression(sb, whenClause.Result);
                break;
            case Assignment assignment:
                sb.Append(Name(assignment.Column)).Append(" = ");
                WriteExpression(sb, assignment.Value);
                break;
            case ValuesSource values:
                WriteRows(sb, values.Rows);
                break;
            case QuerySource query:
                Write(sb, query.Query);
                break;
            case OnConflictClause conflict:
                sb.Append("ON CONFLICT");
                if (!conflict.TargetColumns.IsEmpty)
                {
                    sb.Append(' ');
                    WriteNames(sb, conflict.TargetColumns);
                }

                if (conflict.Action == ConflictAction.DoNothing)
                {
                    sb.Append(" DO NOTHING");
                }
                else
                {
                    sb.Append(" DO UPDATE SET ");
                    WriteList(sb, conflict.Assignments);
                    WriteOptional(sb, " WHERE ", conflict.Where);
                }

                break;
            case ColumnDefinition column:
                sb.Append(Name(column.Name)).Append(' ').Append(column.Type)
                    .Append(column.NotNull ? " NOT NULL" : "")
                    .Append(column.PrimaryKey ? " PRIMARY KEY" : "")
                    .Append(column.Unique ? " UNIQUE" : "");

                // DEFAULT goes last so nothing after it can be read as part of its expression.
                WriteOptional(sb, " DEFAULT ", column.Default);
                break;
            case TableConstraint constraint:
                if (constraint.Name is not null)
                {
                    sb.Append("CONSTRAINT ").Append(Name(constraint.Name)).Append(' ');
                }

                sb.Append(constraint.Kind == TableConstraintKind.PrimaryKey ? "PRIMARY KEY " : "UNIQUE ");
                WriteNames(sb, constraint.Columns);
                break;
            default:
                throw new ArgumentException($"Unknown syntax node {node.GetType().Name}.", nameof(node));
        }
    }

    private static void WriteSelect(StringBuilder sb, SelectStatement select)
    {
        sb.Append(select.Distinct ? "SELECT DISTINCT " : "SELECT ");
        WriteList(sb, select.Items);
        if (!select.From.IsEmpty)
        {
            sb.Append(" FROM ");
            WriteList(sb, select.From);
        }

        WriteOptional(sb, " WHERE ", select.Where);
        if (!select.GroupBy.IsEmpty)
        {
            sb.Append(" GROUP BY ");
            WriteList(sb, select.GroupBy);
        }

        WriteOptional(sb, " HAVING ", select.Having);
        if (!select.OrderBy.IsEmpty)
        {
            sb.Append(" ORDER BY ");
            WriteList(sb, select.OrderBy);
        }

        WriteOptional(sb, " LIMIT ", select.Limit);
        WriteOptional(sb, " OFFSET ", select.Offset);
        WriteOptional(sb, " AS OF ", select.AsOf);
    }

    private static void WriteRows(StringBuilder sb, ImmutableArray<ImmutableArray<Expression>> rows)
    {
        sb.Append("VALUES ");
        for (var i = 0; i < rows.Length; i++)
        {
            sb.Append(i == 0 ? "(" : ", (");
            WriteList(sb, rows[i]);
            sb.Append(')');
        }
    }

    // An operand of a set operation: a plain SELECT as it is, anything else (a set operation, VALUES, WITH, a SELECT
    // with its own ORDER BY or LIMIT) in parentheses, which always reads back as the same tree.
    private static void WriteOperand(StringBuilder sb, QueryExpression operand)
    {
        if (operand is SelectStatement { OrderBy.IsEmpty: true, Limit: null, Offset: null, AsOf: null } select)
        {
            WriteSelect(sb, select);
            return;
        }

        sb.Append('(');
        Write(sb, operand);
        sb.Append(')');
    }

    private static void WriteQueryTail(StringBuilder sb, ImmutableArray<OrderByItem> orderBy, Expression? limit, Expression? offset)
    {
        if (!orderBy.IsEmpty)
        {
            sb.Append(" ORDER BY ");
            WriteList(sb, orderBy);
        }

        WriteOptional(sb, " LIMIT ", limit);
        WriteOptional(sb, " OFFSET ", offset);
    }

    private static void WriteInsert(StringBuilder sb, InsertStatement insert)
    {
        sb.Append("INSERT INTO ").Append(Name(insert.Table));
        if (!insert.Columns.IsEmpty)
        {
            sb.Append(' ');
            WriteNames(sb, insert.Columns);
        }

        sb.Append(' ');
        Write(sb, insert.Source);
        if (insert.OnConflict is not null)
        {
            sb.Append(' ');
            Write(sb, insert.OnConflict);
        }

        WriteReturning(sb, insert.Returning);
    }

    private static void WriteReturning(StringBuilder sb, ImmutableArray<SelectItem> returning)
    {
        if (!returning.IsEmpty)
        {
            sb.Append(" RETURNING ");
            WriteList(sb, returning);
        }
    }

    private static void WriteOptional(StringBuilder sb, string prefix, SqlNode? node)
    {
        if (node is not null)
        {
            sb.Append(prefix);
            Write(sb, node);
        }
    }

    private static void WriteList<T>(StringBuilder sb, ImmutableArray<T> nodes)
        where T : SqlNode
    {
        for (var i = 0; i < nodes.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            Write(sb, nodes[i]);
        }
    }

    private static void WriteNames(StringBuilder sb, ImmutableArray<string> names)
    {
        sb.Append('(');
        for (var i = 0; i < names.Length; i++)
        {
            sb.Append(i == 0 ? "" : ", ").Append(Name(names[i]));
        }

        sb.Append(')');
    }

    private static int Level(Expression expression) => expression switch
    {
        BinaryExpression { Operator: BinaryOperator.Or } => OrLevel,
        BinaryExpression { Operator: BinaryOperator.And } => AndLevel,
        UnaryExpression { Operator: UnaryOperator.Not } or ExistsExpression { Negated: true } => NotLevel,
        IsNullExpression or BinaryExpression { Operator: BinaryOperator.IsDistinctFrom or BinaryOperator.IsNotDistinctFrom } => IsLevel,
        BinaryExpression { Operator: BinaryOperator.Concat or BinaryOperator.BitAnd or BinaryOperator.BitOr or BinaryOperator.BitXor
            or BinaryOperator.ShiftLeft or BinaryOperator.ShiftRight } => ConcatLevel,
        UnaryExpression { Operator: UnaryOperator.BitNot } => ConcatLevel,
        BinaryExpression { Operator: BinaryOperator.Add or BinaryOperator.Subtract } => AdditiveLevel,
        BinaryExpression { Operator: BinaryOperator.Multiply or BinaryOperator.Divide or BinaryOperator.Modulo } => MultiplicativeLevel,
        BinaryExpression => ComparisonLevel,
        BetweenExpression or InListExpression or InSubqueryExpression or LikeExpression => RangeLevel,
        UnaryExpression => UnaryLevel,
        LiteralExpression { Value.Kind: ValueKind.Int64 or ValueKind.Double or ValueKind.Decimal } literal when IsNegative(literal.Value) => UnaryLevel,
        _ => PrimaryLevel,
    };

    private static bool IsNegative(Value value) => value.Kind switch
    {
        ValueKind.Int64 => value.AsInt64() < 0,
        ValueKind.Double => double.IsNegative(value.AsDouble()),
        ValueKind.Decimal => value.AsDecimal() < 0 || (value.AsDecimal() == 0 && decimal.IsNegative(value.AsDecimal())),
        _ => false,
    };

    // Writes an operand that must bind at least as tightly as minLevel, parenthesizing it otherwise.
    private static void WriteOperand(StringBuilder sb, Expression operand, int minLevel)
    {
        if (Level(operand) < minLevel)
        {
            sb.Append('(');
            WriteExpression(sb, operand);
            sb.Append(')');
        }
        else
        {
            WriteExpression(sb, operand);
        }
    }

    private static void WriteExpression(StringBuilder sb, Expression expression)
    {
        switch (expression)
        {
            case LiteralExpression literal:
                sb.Append(Literal(literal.Value));
                break;
            case ParameterExpression parameter:
                sb.Append('$').Append(parameter.Index.ToString(CultureInfo.InvariantCulture));
                break;
            case ColumnReference column:
                if (column.Table is not null)
                {
                    sb.Append(Name(column.Table)).Append('.');
                }

                sb.Append(Name(column.Column));
                break;
            case UnaryExpression { Operator: UnaryOperator.Not } not:
                sb.Append("NOT ");
                WriteOperand(sb, not.Operand, NotLevel);
                break;
            case UnaryExpression { Operator: UnaryOperator.BitNot } bitNot:
                sb.Append('~');
                WriteOperand(sb, bitNot.Operand, ConcatLevel + 1);
                break;
            case UnaryExpression unary:
                sb.Append(unary.Operator == UnaryOperator.Negate ? '-' : '+');

                // "-" before a number would fold into the literal, and "--" would start a comment.
                var operand = unary.Operand;
                var wrap = Level(operand) < UnaryLevel
                    || (unary.Operator == UnaryOperator.Negate && (operand is LiteralExpression { Value.Kind: ValueKind.Int64 or ValueKind.Double or ValueKind.Decimal } || StartsWithMinus(operand)));
                if (wrap)
                {
                    sb.Append('(');
                    WriteExpression(sb, operand);
                    sb.Append(')');
                }
                else
                {
                    WriteExpression(sb, operand);
                }

                break;
            case BinaryExpression binary:
                var level = Level(binary);
                var nonAssociative = level is ComparisonLevel or IsLevel;
                WriteOperand(sb, binary.Left, nonAssociative ? level + 1 : level);
                sb.Append(' ').Append(Operator(binary.Operator)).Append(' ');
                WriteOperand(sb, binary.Right, level + 1);
                break;
            case IsNullExpression isNull:
                WriteOperand(sb, isNull.Operand, IsLevel + 1);
                sb.Append(isNull.Negated ? " IS NOT NULL" : " IS NULL");
                break;
            case BetweenExpression between:
                WriteOperand(sb, between.Operand, ConcatLevel);
                sb.Append(between.Negated ? " NOT BETWEEN " : " BETWEEN ");
                WriteOperand(sb, between.Low, ConcatLevel);
                sb.Append(" AND ");
                WriteOperand(sb, between.High, ConcatLevel);
                break;
            case LikeExpression like:
                WriteOperand(sb, like.Operand, ConcatLevel);
                sb.Append(like.Negated ? " NOT LIKE " : " LIKE ");
                WriteOperand(sb, like.Pattern, ConcatLevel);
                if (like.Escape is not null)
                {
                    sb.Append(" ESCAPE ");
                    WriteOperand(sb, like.Escape, ConcatLevel);
                }

                break;
            case InListExpression inList:
                WriteOperand(sb, inList.Operand, ConcatLevel);
                sb.Append(inList.Negated ? " NOT IN (" : " IN (");
                WriteList(sb, inList.Items);
                sb.Append(')');
                break;
            case InSubqueryExpression inQuery:
                WriteOperand(sb, inQuery.Operand, ConcatLevel);
                sb.Append(inQuery.Negated ? " NOT IN (" : " IN (");
                Write(sb, inQuery.Query);
                sb.Append(')');
                break;
            case ExistsExpression exists:
                sb.Append(exists.Negated ? "NOT EXISTS (" : "EXISTS (");
                Write(sb, exists.Query);
                sb.Append(')');
                break;
            case SubqueryExpression subquery:
                sb.Append('(');
                Write(sb, subquery.Query);
                sb.Append(')');
                break;
            case CaseExpression @case:
                sb.Append("CASE ");
                if (@case.Operand is not null)
                {
                    WriteExpression(sb, @case.Operand);
                    sb.Append(' ');
                }

                foreach (var when in @case.Whens)
                {
                    Write(sb, when);
                    sb.Append(' ');
                }

                WriteOptional(sb, "ELSE ", @case.Else);
                sb.Append(@case.Else is null ? "END" : " END");
                break;
            case CastExpression cast:
                sb.Append("CAST(");
                WriteExpression(sb, cast.Operand);
                sb.Append(" AS ").Append(cast.Type).Append(')');
                break;
            case FunctionCall { Arguments.Length: 0, IsStar: false, Distinct: false } call when Parsing.Parser.IsDateTimeKeyword(call.Name):
                sb.Append(call.Name.ToUpperInvariant());
                break;
            case FunctionCall { Name: "extract", Arguments: [LiteralExpression { Value.Kind: ValueKind.String } field, var source], Distinct: false } when IsPlainWord(field.Value.AsString()):
                sb.Append("EXTRACT(").Append(field.Value.AsString().ToUpperInvariant()).Append(" FROM ");
                WriteExpression(sb, source);
                sb.Append(')');
                break;
            case FunctionCall call:
                sb.Append(Name(call.Name)).Append('(');
                if (call.IsStar)
                {
                    sb.Append('*');
                }
                else
                {
                    sb.Append(call.Distinct ? "DISTINCT " : "");
                    WriteList(sb, call.Arguments);
                }

                sb.Append(')');
                break;
            default:
                throw new ArgumentException($"Unknown expression {expression.GetType().Name}.", nameof(expression));
        }
    }

    private static bool IsPlainWord(string text) => text.Length > 0 && text.All(char.IsAsciiLetterLower);

    private static bool StartsWithMinus(Expression expression) => expression switch
    {
        UnaryExpression { Operator: UnaryOperator.Negate } => true,
        LiteralExpression literal => IsNegative(literal.Value),
        _ => false,
    };

    internal static string Operator(BinaryOperator op) => op switch
    {
        BinaryOperator.Add => "+",
        BinaryOperator.Subtract => "-",
        BinaryOperator.Multiply => "*",
        BinaryOperator.Divide => "/",
        BinaryOperator.Modulo => "%",
        BinaryOperator.Concat => "||",
        BinaryOperator.BitAnd => "&",
        BinaryOperator.BitOr => "|",
        BinaryOperator.BitXor => "#",
        BinaryOperator.ShiftLeft => "<<",
        BinaryOperator.ShiftRight => ">>",
        BinaryOperator.Equal => "=",
        BinaryOperator.NotEqual => "<>",
        BinaryOperator.Less => "<",
        BinaryOperator.LessOrEqual => "<=",
        BinaryOperator.Greater => ">",
        BinaryOperator.GreaterOrEqual => ">=",
        BinaryOperator.And => "AND",
        BinaryOperator.Or => "OR",
        BinaryOperator.IsDistinctFrom => "IS DISTINCT FROM",
        BinaryOperator.IsNotDistinctFrom => "IS NOT DISTINCT FROM",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };
}
