package python

// Visitor is called by Walk for each node; if Visit returns a non-nil
// visitor w, Walk visits the node's children with w and then calls
// w.Visit(nil).
type Visitor interface {
	Visit(n Node) (w Visitor)
}

// Walk traverses the tree rooted at n in depth-first, source order, as
// go/ast.Walk does.
func Walk(v Visitor, n Node) {
	if v = v.Visit(n); v == nil {
		return
	}
	eachChild(n, func(c Node) { Walk(v, c) })
	v.Visit(nil)
}

// Inspect traverses the tree rooted at n in depth-first, source order,
// calling f for each node; if f returns false the node's children are
// skipped.
func Inspect(n Node, f func(Node) bool) {
	if !f(n) {
		return
	}
	eachChild(n, func(c Node) { Inspect(c, f) })
}

// Children returns the direct children of n in source order.
func Children(n Node) []Node {
	var out []Node
	eachChild(n, func(c Node) { out = append(out, c) })
	return out
}

// NodeAt returns the path of nodes whose ranges contain offset, from the
// Module (first) to the innermost node (last). At the boundary between two
// nodes, the one that starts at offset wins over the one that ends there,
// and a node ending at offset is still found when nothing starts there (a
// cursor right after `dataset.ag` is on the attribute).
func (f *File) NodeAt(offset int) []Node {
	if offset < 0 || offset > len(f.Source) {
		return nil
	}
	path := []Node{f.Module}
	for n := Node(f.Module); ; {
		var inside, touching Node
		eachChild(n, func(c Node) {
			r := c.Span()
			switch {
			case inside != nil:
			case r.Start <= offset && offset < r.End:
				inside = c
			case r.End == offset && touching == nil:
				touching = c
			}
		})
		next := inside
		if next == nil {
			next = touching
		}
		if next == nil {
			return path
		}
		path = append(path, next)
		n = next
	}
}

func eachExpr(e Expr, f func(Node)) {
	if e != nil {
		f(e)
	}
}

func eachExprs(es []Expr, f func(Node)) {
	for _, e := range es {
		eachExpr(e, f)
	}
}

func eachStmts(ss []Stmt, f func(Node)) {
	for _, s := range ss {
		if s != nil {
			f(s)
		}
	}
}

func eachParams(ps []*Param, f func(Node)) {
	for _, p := range ps {
		f(p)
	}
}

func eachKeywords(ks []*Keyword, f func(Node)) {
	for _, k := range ks {
		f(k)
	}
}

func eachGens(gs []*Comprehension, f func(Node)) {
	for _, g := range gs {
		f(g)
	}
}

// eachChild calls f for each direct child of n, in source order. Ranges
// of children lie within the parent's range.
func eachChild(n Node, f func(Node)) {
	switch n := n.(type) {
	case *Module:
		eachStmts(n.Body, f)
	case *Unknown:
		for _, p := range n.Parts {
			f(p)
		}
	case *Import:
		for _, a := range n.Names {
			f(a)
		}
	case *ImportFrom:
		for _, a := range n.Names {
			f(a)
		}
	case *Assign:
		eachExprs(n.Targets, f)
		eachExpr(n.Value, f)
	case *AugAssign:
		eachExpr(n.Target, f)
		eachExpr(n.Value, f)
	case *AnnAssign:
		eachExpr(n.Target, f)
		eachExpr(n.Annotation, f)
		eachExpr(n.Value, f)
	case *ExprStmt:
		eachExpr(n.X, f)
	case *Param:
		eachExpr(n.Annotation, f)
		eachExpr(n.Default, f)
	case *FunctionDef:
		eachExprs(n.Decorators, f)
		eachParams(n.Params, f)
		eachExpr(n.Returns, f)
		eachStmts(n.Body, f)
	case *ClassDef:
		eachExprs(n.Decorators, f)
		// Bases and keywords may interleave; keep source order.
		i, j := 0, 0
		for i < len(n.Bases) || j < len(n.Keywords) {
			if j == len(n.Keywords) || (i < len(n.Bases) && n.Bases[i].Span().Start < n.Keywords[j].Start) {
				eachExpr(n.Bases[i], f)
				i++
			} else {
				f(n.Keywords[j])
				j++
			}
		}
		eachStmts(n.Body, f)
	case *Return:
		eachExpr(n.Value, f)
	case *If:
		eachExpr(n.Test, f)
		eachStmts(n.Body, f)
		eachStmts(n.Else, f)
	case *For:
		eachExpr(n.Target, f)
		eachExpr(n.Iter, f)
		eachStmts(n.Body, f)
		eachStmts(n.Else, f)
	case *While:
		eachExpr(n.Test, f)
		eachStmts(n.Body, f)
		eachStmts(n.Else, f)
	case *With:
		for _, it := range n.Items {
			f(it)
		}
		eachStmts(n.Body, f)
	case *WithItem:
		eachExpr(n.Context, f)
		eachExpr(n.Vars, f)
	case *Try:
		eachStmts(n.Body, f)
		for _, h := range n.Handlers {
			f(h)
		}
		eachStmts(n.Else, f)
		eachStmts(n.Finally, f)
	case *ExceptHandler:
		eachExpr(n.Type, f)
		eachStmts(n.Body, f)
	case *Global:
		for _, x := range n.Names {
			f(x)
		}
	case *Nonlocal:
		for _, x := range n.Names {
			f(x)
		}
	case *Delete:
		eachExprs(n.Targets, f)
	case *Raise:
		eachExpr(n.Exc, f)
		eachExpr(n.Cause, f)
	case *Assert:
		eachExpr(n.Test, f)
		eachExpr(n.Msg, f)
	case *Attribute:
		eachExpr(n.Value, f)
	case *Call:
		eachExpr(n.Func, f)
		i, j := 0, 0
		for i < len(n.Args) || j < len(n.Keywords) {
			if j == len(n.Keywords) || (i < len(n.Args) && n.Args[i].Span().Start < n.Keywords[j].Start) {
				eachExpr(n.Args[i], f)
				i++
			} else {
				f(n.Keywords[j])
				j++
			}
		}
	case *Keyword:
		eachExpr(n.Value, f)
	case *Subscript:
		eachExpr(n.Value, f)
		eachExpr(n.Index, f)
	case *Slice:
		eachExpr(n.Lower, f)
		eachExpr(n.Upper, f)
		eachExpr(n.Step, f)
	case *BinOp:
		eachExpr(n.Left, f)
		eachExpr(n.Right, f)
	case *UnaryOp:
		eachExpr(n.Operand, f)
	case *BoolOp:
		eachExprs(n.Values, f)
	case *Compare:
		eachExpr(n.Left, f)
		eachExprs(n.Comparators, f)
	case *IfExp:
		// Source order: body if test else orelse.
		eachExpr(n.Body, f)
		eachExpr(n.Test, f)
		eachExpr(n.OrElse, f)
	case *Lambda:
		eachParams(n.Params, f)
		eachExpr(n.Body, f)
	case *List:
		eachExprs(n.Elts, f)
	case *Tuple:
		eachExprs(n.Elts, f)
	case *Set:
		eachExprs(n.Elts, f)
	case *Dict:
		for _, it := range n.Items {
			f(it)
		}
	case *DictItem:
		eachExpr(n.Key, f)
		eachExpr(n.Value, f)
	case *Comprehension:
		eachExpr(n.Target, f)
		eachExpr(n.Iter, f)
		eachExprs(n.Ifs, f)
	case *ListComp:
		eachExpr(n.Elt, f)
		eachGens(n.Generators, f)
	case *SetComp:
		eachExpr(n.Elt, f)
		eachGens(n.Generators, f)
	case *GeneratorExp:
		eachExpr(n.Elt, f)
		eachGens(n.Generators, f)
	case *DictComp:
		eachExpr(n.Key, f)
		eachExpr(n.Value, f)
		eachGens(n.Generators, f)
	case *FString:
		for _, p := range n.Parts {
			f(p)
		}
	case *FStringExpr:
		eachExpr(n.Expr, f)
		for _, p := range n.FormatSpec {
			f(p)
		}
	case *Starred:
		eachExpr(n.Value, f)
	case *NamedExpr:
		f(n.Target)
		eachExpr(n.Value, f)
	}
}
