package python

import (
	"strconv"
	"strings"
)

// converter turns one flattened tree-sitter tree into our syntax tree. It
// only reads src and nodes; all tree-sitter specifics end here.
type converter struct {
	src   []byte
	nodes []flatNode
	errs  []SyntaxError // errors found by conversion, not by tree-sitter
}

// Field ids are looked up by name once, after the grammar is loaded.
var fieldIDs map[string]uint16

func initFieldIDs() {
	fieldIDs = make(map[string]uint16, len(language.fields))
	for i, n := range language.fields {
		if n != "" {
			fieldIDs[n] = uint16(i)
		}
	}
}

func (c *converter) kind(i int32) string {
	n := &c.nodes[i]
	if n.flags&flagError != 0 {
		return "ERROR"
	}
	return kindName(n.kind)
}

func (c *converter) rng(i int32) Range {
	n := &c.nodes[i]
	return Range{int(n.start), int(n.end)}
}

func (c *converter) text(i int32) string {
	n := &c.nodes[i]
	return string(c.src[n.start:n.end])
}

func (c *converter) hasError(i int32) bool {
	return c.nodes[i].flags&(flagHasError|flagError|flagMissing) != 0
}

// isSyntax reports whether child i is a named node that is not a comment or
// line continuation (tree-sitter "extras"). ERROR nodes count as syntax.
func (c *converter) isSyntax(i int32) bool {
	f := c.nodes[i].flags
	if f&flagError != 0 {
		return true
	}
	return f&flagNamed != 0 && f&flagExtra == 0
}

// children calls yield for each child of i.
func (c *converter) children(i int32, yield func(int32)) {
	end := c.nodes[i].skip
	for ch := i + 1; ch < end; ch = c.nodes[ch].skip {
		yield(ch)
	}
}

// named returns the named, non-extra children of i.
func (c *converter) named(i int32) []int32 {
	var out []int32
	c.children(i, func(ch int32) {
		if c.isSyntax(ch) {
			out = append(out, ch)
		}
	})
	return out
}

// field returns the first child of i in the named field, or -1.
func (c *converter) field(i int32, name string) int32 {
	id := fieldIDs[name]
	end := c.nodes[i].skip
	for ch := i + 1; ch < end; ch = c.nodes[ch].skip {
		if c.nodes[ch].field == id {
			return ch
		}
	}
	return -1
}

// fields returns every child of i in the named field.
func (c *converter) fields(i int32, name string) []int32 {
	id := fieldIDs[name]
	var out []int32
	c.children(i, func(ch int32) {
		if c.nodes[ch].field == id {
			out = append(out, ch)
		}
	})
	return out
}

// hasToken reports whether i has an anonymous child of the given kind.
func (c *converter) hasToken(i int32, kind string) bool {
	found := false
	c.children(i, func(ch int32) {
		if !found && c.nodes[ch].flags&flagNamed == 0 && c.kind(ch) == kind {
			found = true
		}
	})
	return found
}

// firstNamedOf returns the first syntax child of i that has no field, or -1.
func (c *converter) firstUnfielded(i int32) int32 {
	end := c.nodes[i].skip
	for ch := i + 1; ch < end; ch = c.nodes[ch].skip {
		if c.nodes[ch].field == 0 && c.isSyntax(ch) {
			return ch
		}
	}
	return -1
}

// unknown builds an Unknown for node i, keeping the well-formed statements
// and expressions found inside it.
func (c *converter) unknown(i int32) *Unknown {
	u := &Unknown{Range: c.rng(i), Kind: c.kind(i)}
	c.salvage(i, &u.Parts)
	return u
}

// salvage appends to parts the largest error-free statements and
// expressions below node i.
func (c *converter) salvage(i int32, parts *[]Node) {
	c.children(i, func(ch int32) {
		if !c.isSyntax(ch) {
			return
		}
		k := c.kind(ch)
		if !c.hasError(ch) {
			if isStmtKind(k) {
				*parts = append(*parts, c.stmt(ch))
				return
			}
			if isExprKind(k) {
				*parts = append(*parts, c.expr(ch))
				return
			}
		}
		c.salvage(ch, parts)
	})
}

func isStmtKind(k string) bool {
	switch k {
	case "import_statement", "import_from_statement", "future_import_statement",
		"expression_statement", "function_definition", "class_definition",
		"decorated_definition", "return_statement", "if_statement", "for_statement",
		"while_statement", "with_statement", "try_statement", "pass_statement",
		"break_statement", "continue_statement", "global_statement",
		"nonlocal_statement", "delete_statement", "raise_statement",
		"assert_statement":
		return true
	}
	return false
}

func isExprKind(k string) bool {
	switch k {
	case "identifier", "attribute", "call", "subscript", "binary_operator",
		"unary_operator", "not_operator", "boolean_operator", "comparison_operator",
		"conditional_expression", "lambda", "list", "tuple", "set", "dictionary",
		"list_comprehension", "set_comprehension", "generator_expression",
		"dictionary_comprehension", "integer", "float", "string",
		"concatenated_string", "true", "false", "none", "ellipsis",
		"parenthesized_expression", "named_expression", "keyword_argument",
		"list_splat", "expression_list":
		return true
	}
	return false
}

// --- statements ---

// block converts the statements that are children of a module or block.
func (c *converter) block(i int32) []Stmt {
	if i < 0 {
		return nil
	}
	var out []Stmt
	c.children(i, func(ch int32) {
		if c.isSyntax(ch) {
			out = append(out, c.stmt(ch))
		}
	})
	return out
}

// body converts the block in the named field of compound statement i.
// tree-sitter sometimes leaves a broken first line of a body as an ERROR
// child of the statement itself, before the block; such strays that follow
// the header's colon become *Unknown statements of the body.
func (c *converter) body(i int32, name string) []Stmt {
	b := c.field(i, name)
	out := c.block(b)
	if !c.hasError(i) {
		return out
	}
	colon := false
	bodyEnd := c.nodes[i].end
	if b >= 0 {
		bodyEnd = c.nodes[b].end
	}
	c.children(i, func(ch int32) {
		n := &c.nodes[ch]
		switch {
		case n.flags&flagNamed == 0 && c.kind(ch) == ":":
			colon = true
		case colon && n.flags&flagError != 0 && n.end <= bodyEnd:
			u := c.unknown(ch)
			at := 0
			for at < len(out) && out[at].Span().Start < u.Start {
				at++
			}
			out = append(out[:at], append([]Stmt{u}, out[at:]...)...)
		}
		if b >= 0 && ch == b {
			colon = false // strays after the body belong to other clauses
		}
	})
	return out
}

func (c *converter) stmt(i int32) Stmt {
	k := c.kind(i)
	switch k {
	case "expression_statement", "import_statement", "import_from_statement",
		"future_import_statement", "return_statement", "pass_statement",
		"break_statement", "continue_statement", "global_statement",
		"nonlocal_statement", "delete_statement", "raise_statement",
		"assert_statement":
		if c.hasError(i) {
			return c.unknown(i)
		}
		if at := strayNewline(c.src[c.nodes[i].start:c.nodes[i].end]); at >= 0 {
			// tree-sitter lets some expressions run on over a line
			// break (`x = patients.` followed by a new line); Python
			// does not.
			at += int(c.nodes[i].start)
			c.errs = append(c.errs, SyntaxError{Range: Range{at, at}, Message: "invalid syntax: unexpected end of line"})
			return c.unknown(i)
		}
	}
	r := c.rng(i)
	switch k {
	case "expression_statement":
		return c.exprStmt(i)
	case "import_statement":
		s := &Import{Range: r}
		for _, n := range c.fields(i, "name") {
			s.Names = append(s.Names, c.alias(n))
		}
		return s
	case "import_from_statement", "future_import_statement":
		return c.importFrom(i, k == "future_import_statement")
	case "function_definition":
		return c.funcDef(i, r, nil)
	case "class_definition":
		return c.classDef(i, r, nil)
	case "decorated_definition":
		return c.decorated(i)
	case "return_statement":
		s := &Return{Range: r}
		if v := c.firstUnfielded(i); v >= 0 {
			s.Value = c.expr(v)
		}
		return s
	case "if_statement":
		return c.ifStmt(i)
	case "for_statement":
		s := &For{Range: r, Async: c.hasToken(i, "async")}
		s.Target = c.optExpr(c.field(i, "left"))
		s.Iter = c.optExpr(c.field(i, "right"))
		s.Body = c.body(i, "body")
		s.Else = c.elseBody(c.field(i, "alternative"))
		return s
	case "while_statement":
		s := &While{Range: r}
		s.Test = c.optExpr(c.field(i, "condition"))
		s.Body = c.body(i, "body")
		s.Else = c.elseBody(c.field(i, "alternative"))
		return s
	case "with_statement":
		return c.withStmt(i)
	case "try_statement":
		return c.tryStmt(i)
	case "pass_statement":
		return &Pass{Range: r}
	case "break_statement":
		return &Break{Range: r}
	case "continue_statement":
		return &Continue{Range: r}
	case "global_statement", "nonlocal_statement":
		var names []*Name
		for _, n := range c.named(i) {
			names = append(names, &Name{Range: c.rng(n), ID: c.text(n)})
		}
		if k == "global_statement" {
			return &Global{Range: r, Names: names}
		}
		return &Nonlocal{Range: r, Names: names}
	case "delete_statement":
		s := &Delete{Range: r}
		if v := c.firstUnfielded(i); v >= 0 {
			if c.kind(v) == "expression_list" {
				for _, e := range c.named(v) {
					s.Targets = append(s.Targets, c.expr(e))
				}
			} else {
				s.Targets = []Expr{c.expr(v)}
			}
		}
		return s
	case "raise_statement":
		s := &Raise{Range: r}
		if v := c.firstUnfielded(i); v >= 0 {
			s.Exc = c.expr(v)
		}
		s.Cause = c.optExpr(c.field(i, "cause"))
		return s
	case "assert_statement":
		s := &Assert{Range: r}
		args := c.named(i)
		if len(args) > 0 {
			s.Test = c.expr(args[0])
		}
		if len(args) > 1 {
			s.Msg = c.expr(args[1])
		}
		return s
	}
	return c.unknown(i)
}

func (c *converter) exprStmt(i int32) Stmt {
	r := c.rng(i)
	kids := c.named(i)
	switch {
	case len(kids) == 0:
		return &Unknown{Range: r, Kind: "expression_statement"}
	case len(kids) > 1:
		t := &Tuple{Range: r}
		for _, k := range kids {
			t.Elts = append(t.Elts, c.expr(k))
		}
		return &ExprStmt{Range: r, X: t}
	}
	x := kids[0]
	switch c.kind(x) {
	case "assignment":
		return c.assign(x, r)
	case "augmented_assignment":
		op := strings.TrimSuffix(c.text(c.field(x, "operator")), "=")
		return &AugAssign{Range: r, Target: c.optExpr(c.field(x, "left")), Op: op, Value: c.value(c.field(x, "right"))}
	}
	return &ExprStmt{Range: r, X: c.expr(x)}
}

// assign converts an assignment node; r is the statement's range.
func (c *converter) assign(i int32, r Range) Stmt {
	if t := c.field(i, "type"); t >= 0 {
		return &AnnAssign{Range: r, Target: c.optExpr(c.field(i, "left")), Annotation: c.typeExpr(t), Value: c.value(c.field(i, "right"))}
	}
	s := &Assign{Range: r}
	for {
		s.Targets = append(s.Targets, c.optExpr(c.field(i, "left")))
		right := c.field(i, "right")
		if right >= 0 && c.kind(right) == "assignment" && c.field(right, "type") < 0 {
			i = right
			continue
		}
		s.Value = c.value(right)
		return s
	}
}

// value converts the right-hand side of an assignment, which may be a bare
// tuple or a nested augmented assignment (invalid Python).
func (c *converter) value(i int32) Expr {
	if i < 0 {
		return nil
	}
	switch c.kind(i) {
	case "assignment", "augmented_assignment":
		return c.unknown(i)
	}
	return c.expr(i)
}

func (c *converter) alias(i int32) *Alias {
	a := &Alias{Range: c.rng(i)}
	name := i
	if c.kind(i) == "aliased_import" {
		name = c.field(i, "name")
		if as := c.field(i, "alias"); as >= 0 {
			a.AsName, a.AsNameRange = c.text(as), c.rng(as)
		}
	}
	if name >= 0 {
		a.Name, a.NameRange = c.dotted(name), c.rng(name)
	}
	return a
}

// dotted returns a dotted_name's text without whitespace or comments.
func (c *converter) dotted(i int32) string {
	if c.kind(i) != "dotted_name" {
		return c.text(i)
	}
	var parts []string
	c.children(i, func(ch int32) {
		if c.kind(ch) == "identifier" {
			parts = append(parts, c.text(ch))
		}
	})
	return strings.Join(parts, ".")
}

func (c *converter) importFrom(i int32, future bool) Stmt {
	s := &ImportFrom{Range: c.rng(i)}
	if future {
		s.Module = "__future__"
		// The module name is the anonymous `__future__` token.
		c.children(i, func(ch int32) {
			if c.kind(ch) == "__future__" {
				s.ModuleRange = c.rng(ch)
			}
		})
	} else if m := c.field(i, "module_name"); m >= 0 {
		s.ModuleRange = c.rng(m)
		if c.kind(m) == "relative_import" {
			c.children(m, func(ch int32) {
				switch c.kind(ch) {
				case "import_prefix":
					s.Level = strings.Count(c.text(ch), ".")
				case "dotted_name":
					s.Module = c.dotted(ch)
				}
			})
		} else {
			s.Module = c.dotted(m)
		}
	}
	for _, n := range c.fields(i, "name") {
		s.Names = append(s.Names, c.alias(n))
	}
	c.children(i, func(ch int32) {
		if c.kind(ch) == "wildcard_import" {
			s.Star, s.StarRange = true, c.rng(ch)
		}
	})
	return s
}

func (c *converter) decorated(i int32) Stmt {
	var decs []Expr
	c.children(i, func(ch int32) {
		if c.kind(ch) == "decorator" {
			if e := c.firstUnfielded(ch); e >= 0 {
				decs = append(decs, c.expr(e))
			} else {
				decs = append(decs, c.unknown(ch))
			}
		}
	})
	def := c.field(i, "definition")
	if def < 0 {
		return c.unknown(i)
	}
	switch c.kind(def) {
	case "function_definition":
		return c.funcDef(def, c.rng(i), decs)
	case "class_definition":
		return c.classDef(def, c.rng(i), decs)
	}
	return c.unknown(i)
}

func (c *converter) funcDef(i int32, r Range, decs []Expr) Stmt {
	s := &FunctionDef{Range: r, Decorators: decs, Async: c.hasToken(i, "async")}
	if n := c.field(i, "name"); n >= 0 {
		s.Name, s.NameRange = c.text(n), c.rng(n)
	}
	s.Params = c.params(c.field(i, "parameters"))
	if rt := c.field(i, "return_type"); rt >= 0 {
		s.Returns = c.typeExpr(rt)
	}
	s.Body = c.body(i, "body")
	return s
}

func (c *converter) classDef(i int32, r Range, decs []Expr) Stmt {
	s := &ClassDef{Range: r, Decorators: decs}
	if n := c.field(i, "name"); n >= 0 {
		s.Name, s.NameRange = c.text(n), c.rng(n)
	}
	if sc := c.field(i, "superclasses"); sc >= 0 {
		s.Bases, s.Keywords = c.arguments(sc)
	}
	s.Body = c.body(i, "body")
	return s
}

// params converts parameters or lambda_parameters.
func (c *converter) params(i int32) []*Param {
	if i < 0 {
		return nil
	}
	var out []*Param
	kwOnly := false
	for _, ch := range c.named(i) {
		k := c.kind(ch)
		switch k {
		case "positional_separator":
			for _, p := range out {
				if p.Kind == ParamPositionalOrKeyword {
					p.Kind = ParamPositionalOnly
				}
			}
			continue
		case "keyword_separator":
			kwOnly = true
			continue
		}
		p := &Param{Range: c.rng(ch), Kind: ParamPositionalOrKeyword}
		if kwOnly {
			p.Kind = ParamKeywordOnly
		}
		name := ch
		switch k {
		case "default_parameter":
			name = c.field(ch, "name")
			p.Default = c.optExpr(c.field(ch, "value"))
		case "typed_default_parameter":
			name = c.field(ch, "name")
			p.Annotation = c.typeExpr(c.field(ch, "type"))
			p.Default = c.optExpr(c.field(ch, "value"))
		case "typed_parameter":
			p.Annotation = c.typeExpr(c.field(ch, "type"))
			name = c.firstUnfielded(ch)
		}
		if name >= 0 {
			switch c.kind(name) {
			case "list_splat_pattern":
				p.Kind = ParamVarPositional
				kwOnly = true
				name = c.firstUnfielded(name)
			case "dictionary_splat_pattern":
				p.Kind = ParamVarKeyword
				name = c.firstUnfielded(name)
			}
		}
		if name >= 0 && c.kind(name) == "identifier" {
			p.Name, p.NameRange = c.text(name), c.rng(name)
		}
		out = append(out, p)
	}
	return out
}

func (c *converter) ifStmt(i int32) Stmt {
	s := &If{Range: c.rng(i)}
	s.Test = c.optExpr(c.field(i, "condition"))
	s.Body = c.body(i, "consequence")
	alts := c.fields(i, "alternative")
	var rest []Stmt
	end := s.End
	for j := len(alts) - 1; j >= 0; j-- {
		a := alts[j]
		switch c.kind(a) {
		case "else_clause":
			rest = c.block(c.field(a, "body"))
		case "elif_clause":
			e := &If{Range: Range{int(c.nodes[a].start), end}, Elif: true}
			e.Test = c.optExpr(c.field(a, "condition"))
			e.Body = c.block(c.field(a, "consequence"))
			e.Else = rest
			rest = []Stmt{e}
		}
	}
	s.Else = rest
	return s
}

func (c *converter) elseBody(i int32) []Stmt {
	if i < 0 {
		return nil
	}
	return c.block(c.field(i, "body"))
}

func (c *converter) withStmt(i int32) Stmt {
	s := &With{Range: c.rng(i), Async: c.hasToken(i, "async")}
	c.children(i, func(ch int32) {
		if c.kind(ch) != "with_clause" {
			return
		}
		c.children(ch, func(it int32) {
			if c.kind(it) != "with_item" {
				return
			}
			w := &WithItem{Range: c.rng(it)}
			v := c.field(it, "value")
			if v >= 0 && c.kind(v) == "as_pattern" && !c.hasError(v) {
				w.Context, w.Vars = c.asPattern(v)
			} else {
				w.Context = c.optExpr(v)
			}
			s.Items = append(s.Items, w)
		})
	})
	s.Body = c.body(i, "body")
	return s
}

// asPattern splits `x as y` into its expression and target.
func (c *converter) asPattern(i int32) (Expr, Expr) {
	var x, target Expr
	c.children(i, func(ch int32) {
		if !c.isSyntax(ch) {
			return
		}
		if c.kind(ch) == "as_pattern_target" {
			if t := c.firstUnfielded(ch); t >= 0 {
				target = c.expr(t)
			}
		} else if x == nil {
			x = c.expr(ch)
		}
	})
	return x, target
}

func (c *converter) tryStmt(i int32) Stmt {
	s := &Try{Range: c.rng(i)}
	s.Body = c.body(i, "body")
	c.children(i, func(ch int32) {
		switch c.kind(ch) {
		case "except_clause", "except_group_clause":
			h := &ExceptHandler{Range: c.rng(ch), Star: c.hasToken(ch, "*") || c.kind(ch) == "except_group_clause"}
			vals := c.fields(ch, "value")
			if len(vals) > 0 {
				v := vals[0]
				if c.kind(v) == "as_pattern" && !c.hasError(v) {
					var target Expr
					h.Type, target = c.asPattern(v)
					if n, ok := target.(*Name); ok {
						h.Name, h.NameRange = n.ID, n.Range
					}
				} else {
					h.Type = c.expr(v)
				}
			}
			if as := c.field(ch, "alias"); as >= 0 && c.kind(as) == "identifier" {
				h.Name, h.NameRange = c.text(as), c.rng(as)
			}
			c.children(ch, func(b int32) {
				if c.kind(b) == "block" {
					h.Body = c.block(b)
				}
			})
			s.Handlers = append(s.Handlers, h)
		case "else_clause":
			s.Else = c.block(c.field(ch, "body"))
		case "finally_clause":
			c.children(ch, func(b int32) {
				if c.kind(b) == "block" {
					s.Finally = c.block(b)
				}
			})
		}
	})
	return s
}

// --- expressions ---

func (c *converter) optExpr(i int32) Expr {
	if i < 0 {
		return nil
	}
	return c.expr(i)
}

// typeExpr converts a `type` node (an annotation).
func (c *converter) typeExpr(i int32) Expr {
	if i < 0 {
		return nil
	}
	if c.kind(i) == "type" && !c.hasError(i) {
		if e := c.firstUnfielded(i); e >= 0 && isExprKind(c.kind(e)) {
			return c.expr(e)
		}
	}
	return c.unknown(i)
}

func (c *converter) expr(i int32) Expr {
	if c.hasError(i) {
		return c.unknown(i)
	}
	r := c.rng(i)
	k := c.kind(i)
	switch k {
	case "identifier":
		return &Name{Range: r, ID: c.text(i)}
	case "attribute":
		e := &Attribute{Range: r, Value: c.optExpr(c.field(i, "object"))}
		if a := c.field(i, "attribute"); a >= 0 {
			e.Attr, e.AttrRange = c.text(a), c.rng(a)
		}
		return e
	case "call":
		e := &Call{Range: r, Func: c.optExpr(c.field(i, "function"))}
		if a := c.field(i, "arguments"); a >= 0 {
			e.ArgsRange = c.rng(a)
			if c.kind(a) == "generator_expression" {
				e.Args = []Expr{c.expr(a)}
			} else {
				e.Args, e.Keywords = c.arguments(a)
			}
		}
		return e
	case "subscript":
		e := &Subscript{Range: r, Value: c.optExpr(c.field(i, "value"))}
		subs := c.fields(i, "subscript")
		switch len(subs) {
		case 0:
		case 1:
			e.Index = c.expr(subs[0])
		default:
			t := &Tuple{Range: Range{int(c.nodes[subs[0]].start), int(c.nodes[subs[len(subs)-1]].end)}}
			for _, s := range subs {
				t.Elts = append(t.Elts, c.expr(s))
			}
			e.Index = t
		}
		return e
	case "slice":
		return c.slice(i)
	case "binary_operator":
		return &BinOp{Range: r, Left: c.optExpr(c.field(i, "left")), Op: c.text(c.field(i, "operator")), Right: c.optExpr(c.field(i, "right"))}
	case "unary_operator":
		return &UnaryOp{Range: r, Op: c.text(c.field(i, "operator")), Operand: c.optExpr(c.field(i, "argument"))}
	case "not_operator":
		return &UnaryOp{Range: r, Op: "not", Operand: c.optExpr(c.field(i, "argument"))}
	case "boolean_operator":
		op := c.text(c.field(i, "operator"))
		e := &BoolOp{Range: r, Op: op}
		left := c.field(i, "left")
		if left >= 0 && c.kind(left) == "boolean_operator" && !c.hasError(left) && c.text(c.field(left, "operator")) == op {
			if inner, ok := c.expr(left).(*BoolOp); ok {
				e.Values = inner.Values
			}
		} else {
			e.Values = []Expr{c.optExpr(left)}
		}
		e.Values = append(e.Values, c.optExpr(c.field(i, "right")))
		return e
	case "comparison_operator":
		e := &Compare{Range: r}
		opID := fieldIDs["operators"]
		c.children(i, func(ch int32) {
			if c.nodes[ch].field == opID {
				e.Ops = append(e.Ops, c.kind(ch))
				return
			}
			if !c.isSyntax(ch) {
				return
			}
			if e.Left == nil {
				e.Left = c.expr(ch)
			} else {
				e.Comparators = append(e.Comparators, c.expr(ch))
			}
		})
		return e
	case "conditional_expression":
		kids := c.named(i)
		if len(kids) != 3 {
			return c.unknown(i)
		}
		return &IfExp{Range: r, Body: c.expr(kids[0]), Test: c.expr(kids[1]), OrElse: c.expr(kids[2])}
	case "lambda":
		return &Lambda{Range: r, Params: c.params(c.field(i, "parameters")), Body: c.optExpr(c.field(i, "body"))}
	case "list", "list_pattern":
		return &List{Range: r, Elts: c.elts(i)}
	case "tuple", "tuple_pattern", "expression_list", "pattern_list":
		return &Tuple{Range: r, Elts: c.elts(i)}
	case "set":
		return &Set{Range: r, Elts: c.elts(i)}
	case "dictionary":
		e := &Dict{Range: r}
		for _, ch := range c.named(i) {
			switch c.kind(ch) {
			case "pair":
				e.Items = append(e.Items, &DictItem{Range: c.rng(ch), Key: c.optExpr(c.field(ch, "key")), Value: c.optExpr(c.field(ch, "value"))})
			case "dictionary_splat":
				e.Items = append(e.Items, &DictItem{Range: c.rng(ch), Value: c.optExpr(c.firstUnfielded(ch))})
			}
		}
		return e
	case "list_comprehension":
		return &ListComp{Range: r, Elt: c.optExpr(c.field(i, "body")), Generators: c.generators(i)}
	case "set_comprehension":
		return &SetComp{Range: r, Elt: c.optExpr(c.field(i, "body")), Generators: c.generators(i)}
	case "generator_expression":
		return &GeneratorExp{Range: r, Elt: c.optExpr(c.field(i, "body")), Generators: c.generators(i)}
	case "dictionary_comprehension":
		e := &DictComp{Range: r, Generators: c.generators(i)}
		if p := c.field(i, "body"); p >= 0 {
			e.Key, e.Value = c.optExpr(c.field(p, "key")), c.optExpr(c.field(p, "value"))
		}
		return e
	case "integer":
		return intLit(r, c.text(i))
	case "float":
		return floatLit(r, c.text(i))
	case "string", "concatenated_string":
		return c.strLit(i)
	case "true":
		return &Bool{Range: r, Value: true}
	case "false":
		return &Bool{Range: r, Value: false}
	case "none":
		return &NoneLit{Range: r}
	case "ellipsis":
		return &Ellipsis{Range: r}
	case "parenthesized_expression":
		kids := c.named(i)
		if len(kids) == 1 {
			return c.expr(kids[0])
		}
	case "list_splat", "list_splat_pattern", "parenthesized_list_splat":
		if v := c.firstUnfielded(i); v >= 0 {
			if k == "parenthesized_list_splat" {
				return c.expr(v)
			}
			return &Starred{Range: r, Value: c.expr(v)}
		}
	case "named_expression":
		n := c.field(i, "name")
		if n < 0 {
			return c.unknown(i)
		}
		return &NamedExpr{Range: r, Target: &Name{Range: c.rng(n), ID: c.text(n)}, Value: c.optExpr(c.field(i, "value"))}
	}
	return c.unknown(i)
}

// elts converts the elements of a list, tuple or set.
func (c *converter) elts(i int32) []Expr {
	var out []Expr
	for _, ch := range c.named(i) {
		out = append(out, c.expr(ch))
	}
	return out
}

// arguments converts an argument_list into positional and keyword
// arguments.
func (c *converter) arguments(i int32) ([]Expr, []*Keyword) {
	var args []Expr
	var kws []*Keyword
	for _, ch := range c.named(i) {
		switch c.kind(ch) {
		case "keyword_argument":
			if c.hasError(ch) {
				args = append(args, c.unknown(ch))
				continue
			}
			kw := &Keyword{Range: c.rng(ch), Value: c.optExpr(c.field(ch, "value"))}
			if n := c.field(ch, "name"); n >= 0 {
				kw.Arg, kw.ArgRange = c.text(n), c.rng(n)
			}
			kws = append(kws, kw)
		case "dictionary_splat":
			kws = append(kws, &Keyword{Range: c.rng(ch), Value: c.optExpr(c.firstUnfielded(ch))})
		default:
			args = append(args, c.expr(ch))
		}
	}
	return args, kws
}

func (c *converter) slice(i int32) Expr {
	s := &Slice{Range: c.rng(i)}
	colons := 0
	c.children(i, func(ch int32) {
		if c.nodes[ch].flags&flagNamed == 0 {
			if c.kind(ch) == ":" {
				colons++
			}
			return
		}
		if !c.isSyntax(ch) {
			return
		}
		e := c.expr(ch)
		switch colons {
		case 0:
			s.Lower = e
		case 1:
			s.Upper = e
		default:
			s.Step = e
		}
	})
	return s
}

// generators converts the for/if clauses of a comprehension.
func (c *converter) generators(i int32) []*Comprehension {
	var out []*Comprehension
	for _, ch := range c.named(i) {
		switch c.kind(ch) {
		case "for_in_clause":
			g := &Comprehension{Range: c.rng(ch), Async: c.hasToken(ch, "async")}
			g.Target = c.optExpr(c.field(ch, "left"))
			var iters []int32
			rightID := fieldIDs["right"]
			c.children(ch, func(x int32) {
				if c.nodes[x].field == rightID && c.isSyntax(x) {
					iters = append(iters, x)
				}
			})
			switch len(iters) {
			case 0:
			case 1:
				g.Iter = c.expr(iters[0])
			default:
				t := &Tuple{Range: Range{int(c.nodes[iters[0]].start), int(c.nodes[iters[len(iters)-1]].end)}}
				for _, x := range iters {
					t.Elts = append(t.Elts, c.expr(x))
				}
				g.Iter = t
			}
			out = append(out, g)
		case "if_clause":
			if len(out) == 0 {
				continue
			}
			g := out[len(out)-1]
			if e := c.firstUnfielded(ch); e >= 0 {
				g.Ifs = append(g.Ifs, c.expr(e))
			}
			g.End = int(c.nodes[ch].end)
		}
	}
	return out
}

func intLit(r Range, text string) Expr {
	t := strings.ReplaceAll(text, "_", "")
	if strings.HasSuffix(t, "j") || strings.HasSuffix(t, "J") {
		v, _ := strconv.ParseFloat(t[:len(t)-1], 64)
		return &Float{Range: r, Text: text, Value: v, Imag: true}
	}
	t = strings.TrimRight(t, "lL") // Python 2 long suffix
	base := 10
	if len(t) > 2 && t[0] == '0' {
		switch t[1] {
		case 'x', 'X':
			base, t = 16, t[2:]
		case 'o', 'O':
			base, t = 8, t[2:]
		case 'b', 'B':
			base, t = 2, t[2:]
		}
	}
	v, err := strconv.ParseInt(t, base, 64)
	return &Int{Range: r, Text: text, Value: v, Overflow: err != nil}
}

func floatLit(r Range, text string) Expr {
	t := strings.ReplaceAll(text, "_", "")
	imag := false
	if strings.HasSuffix(t, "j") || strings.HasSuffix(t, "J") {
		imag, t = true, t[:len(t)-1]
	}
	v, _ := strconv.ParseFloat(t, 64)
	return &Float{Range: r, Text: text, Value: v, Imag: imag}
}

// isSimpleStmtKind reports whether k is a statement that must fit on one
// logical line.
func isSimpleStmtKind(k string) bool {
	return isStmtKind(k) && !isCompoundKind(k)
}

func isCompoundKind(k string) bool {
	switch k {
	case "function_definition", "class_definition", "decorated_definition",
		"if_statement", "for_statement", "while_statement", "with_statement",
		"try_statement", "match_statement":
		return true
	}
	return false
}

// strayNewline returns the offset in text of the first line break that
// ends a logical line (outside brackets, strings and comments, and not
// escaped by a backslash), ignoring a trailing one; or -1.
func strayNewline(text []byte) int {
	depth := 0
	for i := 0; i < len(text); i++ {
		switch ch := text[i]; ch {
		case '\\':
			i++ // escaped newline (or any escaped byte)
		case '#':
			for i < len(text) && text[i] != '\n' {
				i++
			}
			i--
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			if depth > 0 {
				depth--
			}
		case '\'', '"':
			i = skipString(text, i)
		case '\n':
			if depth == 0 && strings.TrimSpace(string(text[i:])) != "" {
				return i
			}
		}
	}
	return -1
}

// skipString returns the offset of the last byte of the string literal
// whose opening quote is at text[i] (or len(text)-1 if it is unclosed).
func skipString(text []byte, i int) int {
	q := text[i]
	triple := i+2 < len(text) && text[i+1] == q && text[i+2] == q
	if triple {
		i += 2
	}
	for i++; i < len(text); i++ {
		switch text[i] {
		case '\\':
			i++
		case '\n':
			if !triple {
				return i - 1 // unterminated; let the newline be seen
			}
		case q:
			if !triple {
				return i
			}
			if i+2 < len(text) && text[i+1] == q && text[i+2] == q {
				return i + 2
			}
		}
	}
	return len(text) - 1
}
