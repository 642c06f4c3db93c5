package python

// shiftStmt returns a deep copy of s with every range moved by delta bytes.
// Reparse uses it for unchanged statements after an edit.
func shiftStmt(s Stmt, delta int) Stmt {
	if s == nil {
		return nil
	}
	return shiftNode(s, delta).(Stmt)
}

func shiftExpr(e Expr, delta int) Expr {
	if e == nil {
		return nil
	}
	return shiftNode(e, delta).(Expr)
}

func (r Range) shift(d int) Range { return Range{r.Start + d, r.End + d} }

// shiftRange moves a range that may be the zero "absent" range.
func shiftOpt(r Range, d int) Range {
	if r == (Range{}) {
		return r
	}
	return r.shift(d)
}

func shiftStmts(ss []Stmt, d int) []Stmt {
	if ss == nil {
		return nil
	}
	out := make([]Stmt, len(ss))
	for i, s := range ss {
		out[i] = shiftStmt(s, d)
	}
	return out
}

func shiftExprs(es []Expr, d int) []Expr {
	if es == nil {
		return nil
	}
	out := make([]Expr, len(es))
	for i, e := range es {
		out[i] = shiftExpr(e, d)
	}
	return out
}

func shiftParams(ps []*Param, d int) []*Param {
	if ps == nil {
		return nil
	}
	out := make([]*Param, len(ps))
	for i, p := range ps {
		out[i] = shiftNode(p, d).(*Param)
	}
	return out
}

func shiftKeywords(ks []*Keyword, d int) []*Keyword {
	if ks == nil {
		return nil
	}
	out := make([]*Keyword, len(ks))
	for i, k := range ks {
		out[i] = shiftNode(k, d).(*Keyword)
	}
	return out
}

func shiftAliases(as []*Alias, d int) []*Alias {
	if as == nil {
		return nil
	}
	out := make([]*Alias, len(as))
	for i, a := range as {
		c := *a
		c.Range, c.NameRange, c.AsNameRange = a.Range.shift(d), shiftOpt(a.NameRange, d), shiftOpt(a.AsNameRange, d)
		out[i] = &c
	}
	return out
}

func shiftNames(ns []*Name, d int) []*Name {
	if ns == nil {
		return nil
	}
	out := make([]*Name, len(ns))
	for i, n := range ns {
		c := *n
		c.Range = n.Range.shift(d)
		out[i] = &c
	}
	return out
}

func shiftGens(gs []*Comprehension, d int) []*Comprehension {
	if gs == nil {
		return nil
	}
	out := make([]*Comprehension, len(gs))
	for i, g := range gs {
		c := *g
		c.Range = g.Range.shift(d)
		c.Target, c.Iter, c.Ifs = shiftExpr(g.Target, d), shiftExpr(g.Iter, d), shiftExprs(g.Ifs, d)
		out[i] = &c
	}
	return out
}

func shiftPieces(ps []StrPiece, d int) []StrPiece {
	if ps == nil {
		return nil
	}
	out := make([]StrPiece, len(ps))
	for i, p := range ps {
		out[i] = StrPiece{Range: p.Range.shift(d), Prefix: p.Prefix, Content: p.Content.shift(d)}
	}
	return out
}

func shiftParts(ps []FStringPart, d int) []FStringPart {
	if ps == nil {
		return nil
	}
	out := make([]FStringPart, len(ps))
	for i, p := range ps {
		out[i] = shiftNode(p, d).(FStringPart)
	}
	return out
}

func shiftNodes(ns []Node, d int) []Node {
	if ns == nil {
		return nil
	}
	out := make([]Node, len(ns))
	for i, n := range ns {
		out[i] = shiftNode(n, d)
	}
	return out
}

// shiftNode deep-copies any node with its ranges moved by d.
func shiftNode(n Node, d int) Node {
	switch n := n.(type) {
	case *Unknown:
		c := *n
		c.Range, c.Parts = n.Range.shift(d), shiftNodes(n.Parts, d)
		return &c
	case *Import:
		c := *n
		c.Range, c.Names = n.Range.shift(d), shiftAliases(n.Names, d)
		return &c
	case *ImportFrom:
		c := *n
		c.Range, c.ModuleRange, c.StarRange = n.Range.shift(d), shiftOpt(n.ModuleRange, d), shiftOpt(n.StarRange, d)
		c.Names = shiftAliases(n.Names, d)
		return &c
	case *Alias:
		return shiftAliases([]*Alias{n}, d)[0]
	case *Assign:
		c := *n
		c.Range, c.Targets, c.Value = n.Range.shift(d), shiftExprs(n.Targets, d), shiftExpr(n.Value, d)
		return &c
	case *AugAssign:
		c := *n
		c.Range, c.Target, c.Value = n.Range.shift(d), shiftExpr(n.Target, d), shiftExpr(n.Value, d)
		return &c
	case *AnnAssign:
		c := *n
		c.Range, c.Target, c.Annotation, c.Value = n.Range.shift(d), shiftExpr(n.Target, d), shiftExpr(n.Annotation, d), shiftExpr(n.Value, d)
		return &c
	case *ExprStmt:
		c := *n
		c.Range, c.X = n.Range.shift(d), shiftExpr(n.X, d)
		return &c
	case *Param:
		c := *n
		c.Range, c.NameRange = n.Range.shift(d), shiftOpt(n.NameRange, d)
		c.Annotation, c.Default = shiftExpr(n.Annotation, d), shiftExpr(n.Default, d)
		return &c
	case *FunctionDef:
		c := *n
		c.Range, c.NameRange = n.Range.shift(d), shiftOpt(n.NameRange, d)
		c.Decorators, c.Params, c.Returns = shiftExprs(n.Decorators, d), shiftParams(n.Params, d), shiftExpr(n.Returns, d)
		c.Body = shiftStmts(n.Body, d)
		return &c
	case *ClassDef:
		c := *n
		c.Range, c.NameRange = n.Range.shift(d), shiftOpt(n.NameRange, d)
		c.Decorators, c.Bases, c.Keywords = shiftExprs(n.Decorators, d), shiftExprs(n.Bases, d), shiftKeywords(n.Keywords, d)
		c.Body = shiftStmts(n.Body, d)
		return &c
	case *Return:
		c := *n
		c.Range, c.Value = n.Range.shift(d), shiftExpr(n.Value, d)
		return &c
	case *If:
		c := *n
		c.Range, c.Test, c.Body, c.Else = n.Range.shift(d), shiftExpr(n.Test, d), shiftStmts(n.Body, d), shiftStmts(n.Else, d)
		return &c
	case *For:
		c := *n
		c.Range, c.Target, c.Iter = n.Range.shift(d), shiftExpr(n.Target, d), shiftExpr(n.Iter, d)
		c.Body, c.Else = shiftStmts(n.Body, d), shiftStmts(n.Else, d)
		return &c
	case *While:
		c := *n
		c.Range, c.Test, c.Body, c.Else = n.Range.shift(d), shiftExpr(n.Test, d), shiftStmts(n.Body, d), shiftStmts(n.Else, d)
		return &c
	case *With:
		c := *n
		c.Range, c.Body = n.Range.shift(d), shiftStmts(n.Body, d)
		if n.Items != nil {
			c.Items = make([]*WithItem, len(n.Items))
			for i, it := range n.Items {
				c.Items[i] = shiftNode(it, d).(*WithItem)
			}
		}
		return &c
	case *WithItem:
		c := *n
		c.Range, c.Context, c.Vars = n.Range.shift(d), shiftExpr(n.Context, d), shiftExpr(n.Vars, d)
		return &c
	case *Try:
		c := *n
		c.Range, c.Body, c.Else, c.Finally = n.Range.shift(d), shiftStmts(n.Body, d), shiftStmts(n.Else, d), shiftStmts(n.Finally, d)
		if n.Handlers != nil {
			c.Handlers = make([]*ExceptHandler, len(n.Handlers))
			for i, h := range n.Handlers {
				c.Handlers[i] = shiftNode(h, d).(*ExceptHandler)
			}
		}
		return &c
	case *ExceptHandler:
		c := *n
		c.Range, c.NameRange, c.Type, c.Body = n.Range.shift(d), shiftOpt(n.NameRange, d), shiftExpr(n.Type, d), shiftStmts(n.Body, d)
		return &c
	case *Pass:
		return &Pass{n.Range.shift(d)}
	case *Break:
		return &Break{n.Range.shift(d)}
	case *Continue:
		return &Continue{n.Range.shift(d)}
	case *Global:
		return &Global{Range: n.Range.shift(d), Names: shiftNames(n.Names, d)}
	case *Nonlocal:
		return &Nonlocal{Range: n.Range.shift(d), Names: shiftNames(n.Names, d)}
	case *Delete:
		return &Delete{Range: n.Range.shift(d), Targets: shiftExprs(n.Targets, d)}
	case *Raise:
		return &Raise{Range: n.Range.shift(d), Exc: shiftExpr(n.Exc, d), Cause: shiftExpr(n.Cause, d)}
	case *Assert:
		return &Assert{Range: n.Range.shift(d), Test: shiftExpr(n.Test, d), Msg: shiftExpr(n.Msg, d)}
	case *Name:
		return &Name{Range: n.Range.shift(d), ID: n.ID}
	case *Attribute:
		return &Attribute{Range: n.Range.shift(d), Value: shiftExpr(n.Value, d), Attr: n.Attr, AttrRange: shiftOpt(n.AttrRange, d)}
	case *Call:
		return &Call{Range: n.Range.shift(d), Func: shiftExpr(n.Func, d), Args: shiftExprs(n.Args, d), Keywords: shiftKeywords(n.Keywords, d), ArgsRange: shiftOpt(n.ArgsRange, d)}
	case *Keyword:
		return &Keyword{Range: n.Range.shift(d), Arg: n.Arg, ArgRange: shiftOpt(n.ArgRange, d), Value: shiftExpr(n.Value, d)}
	case *Subscript:
		return &Subscript{Range: n.Range.shift(d), Value: shiftExpr(n.Value, d), Index: shiftExpr(n.Index, d)}
	case *Slice:
		return &Slice{Range: n.Range.shift(d), Lower: shiftExpr(n.Lower, d), Upper: shiftExpr(n.Upper, d), Step: shiftExpr(n.Step, d)}
	case *BinOp:
		return &BinOp{Range: n.Range.shift(d), Left: shiftExpr(n.Left, d), Op: n.Op, Right: shiftExpr(n.Right, d)}
	case *UnaryOp:
		return &UnaryOp{Range: n.Range.shift(d), Op: n.Op, Operand: shiftExpr(n.Operand, d)}
	case *BoolOp:
		return &BoolOp{Range: n.Range.shift(d), Op: n.Op, Values: shiftExprs(n.Values, d)}
	case *Compare:
		return &Compare{Range: n.Range.shift(d), Left: shiftExpr(n.Left, d), Ops: n.Ops, Comparators: shiftExprs(n.Comparators, d)}
	case *IfExp:
		return &IfExp{Range: n.Range.shift(d), Test: shiftExpr(n.Test, d), Body: shiftExpr(n.Body, d), OrElse: shiftExpr(n.OrElse, d)}
	case *Lambda:
		return &Lambda{Range: n.Range.shift(d), Params: shiftParams(n.Params, d), Body: shiftExpr(n.Body, d)}
	case *List:
		return &List{Range: n.Range.shift(d), Elts: shiftExprs(n.Elts, d)}
	case *Tuple:
		return &Tuple{Range: n.Range.shift(d), Elts: shiftExprs(n.Elts, d)}
	case *Set:
		return &Set{Range: n.Range.shift(d), Elts: shiftExprs(n.Elts, d)}
	case *Dict:
		c := &Dict{Range: n.Range.shift(d)}
		if n.Items != nil {
			c.Items = make([]*DictItem, len(n.Items))
			for i, it := range n.Items {
				c.Items[i] = shiftNode(it, d).(*DictItem)
			}
		}
		return c
	case *DictItem:
		return &DictItem{Range: n.Range.shift(d), Key: shiftExpr(n.Key, d), Value: shiftExpr(n.Value, d)}
	case *Comprehension:
		return shiftGens([]*Comprehension{n}, d)[0]
	case *ListComp:
		return &ListComp{Range: n.Range.shift(d), Elt: shiftExpr(n.Elt, d), Generators: shiftGens(n.Generators, d)}
	case *SetComp:
		return &SetComp{Range: n.Range.shift(d), Elt: shiftExpr(n.Elt, d), Generators: shiftGens(n.Generators, d)}
	case *GeneratorExp:
		return &GeneratorExp{Range: n.Range.shift(d), Elt: shiftExpr(n.Elt, d), Generators: shiftGens(n.Generators, d)}
	case *DictComp:
		return &DictComp{Range: n.Range.shift(d), Key: shiftExpr(n.Key, d), Value: shiftExpr(n.Value, d), Generators: shiftGens(n.Generators, d)}
	case *Int:
		c := *n
		c.Range = n.Range.shift(d)
		return &c
	case *Float:
		c := *n
		c.Range = n.Range.shift(d)
		return &c
	case *Str:
		return &Str{Range: n.Range.shift(d), Value: n.Value, Pieces: shiftPieces(n.Pieces, d)}
	case *Bytes:
		return &Bytes{Range: n.Range.shift(d), Value: n.Value, Pieces: shiftPieces(n.Pieces, d)}
	case *FString:
		return &FString{Range: n.Range.shift(d), Parts: shiftParts(n.Parts, d), Pieces: shiftPieces(n.Pieces, d)}
	case *FStringText:
		return &FStringText{Range: n.Range.shift(d), Value: n.Value}
	case *FStringExpr:
		c := *n
		c.Range, c.Expr, c.FormatSpec = n.Range.shift(d), shiftExpr(n.Expr, d), shiftParts(n.FormatSpec, d)
		return &c
	case *Bool:
		return &Bool{Range: n.Range.shift(d), Value: n.Value}
	case *NoneLit:
		return &NoneLit{n.Range.shift(d)}
	case *Ellipsis:
		return &Ellipsis{n.Range.shift(d)}
	case *Starred:
		return &Starred{Range: n.Range.shift(d), Value: shiftExpr(n.Value, d)}
	case *NamedExpr:
		return &NamedExpr{Range: n.Range.shift(d), Target: shiftNode(n.Target, d).(*Name), Value: shiftExpr(n.Value, d)}
	case *Module:
		return &Module{Range: n.Range.shift(d), Body: shiftStmts(n.Body, d)}
	}
	panic("python: shiftNode: unhandled node type")
}
