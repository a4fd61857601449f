using Cohort.Sql.Ast;

namespace Cohort.Sql.Planning;

/// <summary>Rebuilds an expression bottom-up where a replacement function says so; subqueries are left untouched.</summary>
internal static class ExpressionRewriter
{
    /// <summary>
    /// Returns <paramref name="expression"/> with every subexpression for which <paramref name="replace"/> returns a
    /// value replaced by it (outermost first; a replaced subexpression is not visited further).
    /// </summary>
    public static Expression Rewrite(Expression expression, Func<Expression, Expression?> replace)
    {
        if (replace(expression) is { } replaced)
        {
            return replaced;
        }

        Expression R(Expression e) => Rewrite(e, replace);
        return expression switch
        {
            UnaryExpression u => u with { Operand = R(u.Operand) },
            BinaryExpression b => b with { Left = R(b.Left), Right = R(b.Right) },
            IsNullExpression n => n with { Operand = R(n.Operand) },
            BetweenExpression b => b with { Operand = R(b.Operand), Low = R(b.Low), High = R(b.High) },
            InListExpression i => i with { Operand = R(i.Operand), Items = [.. i.Items.Select(R)] },
            InSubqueryExpression i => i with { Operand = R(i.Operand) },
            LikeExpression l => l with { Operand = R(l.Operand), Pattern = R(l.Pattern), Escape = l.Escape is null ? null : R(l.Escape) },
            CaseExpression c => c with
            {
                Operand = c.Operand is null ? null : R(c.Operand),
                Whens = [.. c.Whens.Select(w => w with { Condition = R(w.Condition), Result = R(w.Result) })],
                Else = c.Else is null ? null : R(c.Else),
            },
            CastExpression c => c with { Operand = R(c.Operand) },
            FunctionCall f => f with { Arguments = [.. f.Arguments.Select(R)] },
            _ => expression,
        };
    }

    /// <summary>The subqueries directly inside <paramref name="expression"/> (not those nested in them).</summary>
    public static IEnumerable<QueryExpression> Subqueries(SqlNode expression)
    {
        var stack = new Stack<SqlNode>();
        stack.Push(expression);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            switch (node)
            {
                case SubqueryExpression s:
                    yield return s.Query;
                    continue;
                case ExistsExpression e:
                    yield return e.Query;
                    continue;
                case InSubqueryExpression i:
                    yield return i.Query;
                    stack.Push(i.Operand);
                    continue;
                case QueryExpression:
                    continue;
            }

            foreach (var child in SyntaxTree.Children(node))
            {
                stack.Push(child);
            }
        }
    }

    /// <summary>The column references in <paramref name="expression"/> outside subqueries.</summary>
    public static IEnumerable<ColumnReference> Columns(Expression expression)
    {
        var stack = new Stack<SqlNode>();
        stack.Push(expression);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (node is ColumnReference c)
            {
                yield return c;
                continue;
            }

            if (node is QueryExpression)
            {
                continue;
            }

            foreach (var child in SyntaxTree.Children(node))
            {
                stack.Push(child);
            }
        }
    }

    /// <summary>Whether <paramref name="expression"/> contains a subquery.</summary>
    public static bool HasSubquery(Expression expression) => Subqueries(expression).Any();

    /// <summary>The AND-ed parts of a condition.</summary>
    public static IEnumerable<Expression> Conjuncts(Expression? condition)
    {
        if (condition is null)
        {
            yield break;
        }

        if (condition is BinaryExpression { Operator: BinaryOperator.And } and)
        {
            foreach (var part in Conjuncts(and.Left))
            {
                yield return part;
            }

            foreach (var part in Conjuncts(and.Right))
            {
                yield return part;
            }
        }
        else
        {
            yield return condition;
        }
    }
}
