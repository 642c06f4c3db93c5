package analysis

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/opensafely-core/osls/analysis/python"
	"github.com/opensafely-core/osls/analysis/qm"
)

// eval computes the abstract value of an expression.
func (in *interp) eval(fr *frame, e python.Expr) val {
	if e == nil || !in.step() {
		return unknown
	}
	switch e := e.(type) {
	case *python.Name:
		return in.lookupName(fr, e)
	case *python.Int:
		if e.Overflow {
			return unknown
		}
		return pyInt(e.Value)
	case *python.Float:
		if e.Imag {
			return unknown
		}
		return pyFloat(e.Value)
	case *python.Str:
		return pyStr(e.Value)
	case *python.Bytes:
		return unknown
	case *python.FString:
		var sb strings.Builder
		known := true
		for _, p := range e.Parts {
			switch p := p.(type) {
			case *python.FStringText:
				sb.WriteString(p.Value)
			case *python.FStringExpr:
				v := in.eval(fr, p.Expr)
				s, ok := pyStrOf(v)
				if p.FormatSpec != nil {
					s, ok = formatSpec(v, p.FormatSpec)
				}
				if !ok || p.Conversion != 0 || p.Debug {
					known = false
				}
				sb.WriteString(s)
			}
		}
		if !known {
			return unknown
		}
		return pyStr(sb.String())
	case *python.Bool:
		return pyBool(e.Value)
	case *python.NoneLit:
		return none
	case *python.Ellipsis:
		return unknown
	case *python.List:
		return &listV{items: in.evalElts(fr, e.Elts)}
	case *python.Tuple:
		return &listV{items: in.evalElts(fr, e.Elts), tuple: true}
	case *python.Set:
		return &setV{items: in.evalElts(fr, e.Elts)}
	case *python.Dict:
		d := &dictV{}
		for _, it := range e.Items {
			if it.Key == nil {
				sub := in.eval(fr, it.Value)
				if sd, ok := sub.(*dictV); ok {
					for i, k := range sd.keys {
						d.set(k, sd.vals[i])
					}
					continue
				}
				return unknownDict(in, fr, e)
			}
			k := in.eval(fr, it.Key)
			v := in.eval(fr, it.Value)
			if _, ok := hashKey(k); !ok {
				return unknownDict(in, fr, e)
			}
			d.set(k, v)
		}
		return d
	case *python.ListComp:
		return in.comprehension(fr, e.Generators, func(f *frame) []val { return []val{in.eval(f, e.Elt)} }, "list")
	case *python.SetComp:
		v := in.comprehension(fr, e.Generators, func(f *frame) []val { return []val{in.eval(f, e.Elt)} }, "list")
		if l, ok := v.(*listV); ok {
			return &setV{items: l.items}
		}
		return v
	case *python.GeneratorExp:
		return in.comprehension(fr, e.Generators, func(f *frame) []val { return []val{in.eval(f, e.Elt)} }, "list")
	case *python.DictComp:
		return in.comprehension(fr, e.Generators, func(f *frame) []val { return []val{in.eval(f, e.Key), in.eval(f, e.Value)} }, "dict")
	case *python.Attribute:
		obj := in.eval(fr, e.Value)
		return in.getAttr(fr, obj, e.Attr, e)
	case *python.Subscript:
		obj := in.eval(fr, e.Value)
		if sl, ok := e.Index.(*python.Slice); ok {
			in.eval(fr, sl.Lower)
			in.eval(fr, sl.Upper)
			in.eval(fr, sl.Step)
			return sliceOf(obj)
		}
		idx := in.eval(fr, e.Index)
		return in.subscript(fr, obj, idx, e)
	case *python.Call:
		return in.evalCall(fr, e)
	case *python.BinOp:
		l := in.eval(fr, e.Left)
		r := in.eval(fr, e.Right)
		return in.binop(fr, e, l, r)
	case *python.UnaryOp:
		v := in.eval(fr, e.Operand)
		return in.unaryop(fr, e, v)
	case *python.BoolOp:
		return in.boolop(fr, e)
	case *python.Compare:
		return in.compare(fr, e)
	case *python.IfExp:
		t := in.eval(fr, e.Test)
		if _, ok := t.(*seriesV); ok {
			in.report(fr, CodeEQBoolKeyword, e.Test, "The keywords 'and', 'or', and 'not' cannot be used with ehrQL, and neither can `x if cond else y` on a series: use case(when(cond).then(x), otherwise=y)")
			in.speculate(fr, func() { in.eval(fr, e.Body); in.eval(fr, e.OrElse) })
			return unknown
		}
		if b, ok := truth(t); ok {
			if b {
				return in.eval(fr, e.Body)
			}
			return in.eval(fr, e.OrElse)
		}
		var a, b val
		in.speculate(fr, func() { a = in.eval(fr, e.Body) })
		in.speculate(fr, func() { b = in.eval(fr, e.OrElse) })
		if sameKind(a, b) {
			return a
		}
		return unknown
	case *python.Lambda:
		return &funcV{name: "<lambda>", lambda: e, mod: fr.mod, closure: fr.sc}
	case *python.NamedExpr:
		v := in.eval(fr, e.Value)
		fr.sc.set(e.Target.ID, v)
		return v
	case *python.Starred:
		return in.eval(fr, e.Value)
	case *python.Unknown:
		for _, p := range e.Parts {
			if x, ok := p.(python.Expr); ok {
				in.eval(fr, x)
			}
		}
		return unknown
	}
	return unknown
}

func unknownDict(in *interp, fr *frame, e *python.Dict) val {
	for _, it := range e.Items {
		in.eval(fr, it.Value)
	}
	return unknown
}

func sliceOf(v val) val {
	switch v.(type) {
	case pyStr:
		return unknown
	case *listV:
		return unknown
	}
	return unknown
}

func (in *interp) evalElts(fr *frame, elts []python.Expr) []val {
	var out []val
	for _, e := range elts {
		if st, ok := e.(*python.Starred); ok {
			v := in.eval(fr, st.Value)
			if items, ok := iterate(v); ok {
				out = append(out, items...)
				continue
			}
			out = append(out, unknown)
			continue
		}
		out = append(out, in.eval(fr, e))
	}
	return out
}

func (in *interp) lookupName(fr *frame, n *python.Name) val {
	if v, ok := fr.sc.lookup(n.ID); ok {
		in.noteValueType(fr, n, v)
		return v
	}
	if fr.mod != nil && fr.sc != fr.mod.globals {
		if v, ok := fr.mod.globals.lookup(n.ID); ok {
			return v
		}
	}
	if b, ok := in.builtin(n.ID); ok {
		return b
	}
	// Undefined names are never reported: star imports from modules we cannot read,
	// globals().update(...) and exec make them legitimate.
	return unknown
}

// comprehension evaluates generator clauses over known iterables; elt returns one item (or
// a key and a value for dict comprehensions).
func (in *interp) comprehension(fr *frame, gens []*python.Comprehension, elt func(*frame) []val, kind string) val {
	sub := &frame{mod: fr.mod, sc: newScope(fr.sc)}
	var items []val
	d := &dictV{}
	known := true
	var rec func(i int)
	rec = func(i int) {
		if len(items) > maxCollection || in.exhausted {
			known = false
			return
		}
		if i == len(gens) {
			vs := elt(sub)
			if kind == "dict" {
				if _, ok := hashKey(vs[0]); !ok {
					known = false
					return
				}
				d.set(vs[0], vs[1])
			} else {
				items = append(items, vs[0])
			}
			return
		}
		g := gens[i]
		it := in.eval(sub, g.Iter)
		xs, ok := iterate(it)
		if !ok {
			known = false
			in.assign(sub, g.Target, unknown, nil)
			in.speculate(sub, func() {
				for _, c := range g.Ifs {
					in.eval(sub, c)
				}
				if i+1 == len(gens) {
					elt(sub)
				}
			})
			return
		}
		for j, x := range xs {
			if j >= maxLoopIters {
				known = false
				break
			}
			in.assign(sub, g.Target, x, nil)
			keep := true
			for _, c := range g.Ifs {
				t := in.eval(sub, c)
				b, ok := truth(t)
				if !ok {
					known = false
					keep = true
					break
				}
				if !b {
					keep = false
					break
				}
			}
			if keep {
				rec(i + 1)
			}
		}
	}
	rec(0)
	if !known {
		return unknown
	}
	if kind == "dict" {
		return d
	}
	return &listV{items: items}
}

func (in *interp) subscript(fr *frame, obj, idx val, e *python.Subscript) val {
	switch o := obj.(type) {
	case *listV:
		if i, ok := idx.(pyInt); ok {
			n := int64(len(o.items))
			if i < 0 {
				i += pyInt(n)
			}
			if i >= 0 && int64(i) < n {
				return o.items[i]
			}
		}
	case *dictV:
		if v, ok := o.get(idx); ok {
			return v
		}
	case pyStr:
		if i, ok := idx.(pyInt); ok && int(i) >= 0 && int(i) < len(o) {
			return pyStr(string(o[i]))
		}
	case *codelistV:
		return unknown
	}
	return unknown
}

// binop handles arithmetic and bitwise operators on Python values and ehrQL objects.
func (in *interp) binop(fr *frame, e *python.BinOp, l, r val) val {
	if isUnknown(l) || isUnknown(r) {
		return unknown
	}
	if isEhrQL(l) || isEhrQL(r) {
		return in.ehrqlBinop(fr, e, l, r)
	}
	switch e.Op {
	case "+":
		switch a := l.(type) {
		case pyStr:
			if b, ok := r.(pyStr); ok {
				return a + b
			}
		case *listV:
			if b, ok := r.(*listV); ok && a.tuple == b.tuple {
				return &listV{items: append(append([]val{}, a.items...), b.items...), tuple: a.tuple}
			}
			if b, ok := r.(*codelistV); ok && b.known {
				return &listV{items: append(append([]val{}, a.items...), codesAsVals(b)...)}
			}
		case *codelistV:
			return combineCodelists(a, r)
		}
	case "%":
		if _, ok := l.(pyStr); ok {
			return unknown
		}
	case "|":
		if a, ok := l.(*dictV); ok {
			if b, ok := r.(*dictV); ok {
				c := &dictV{keys: append([]val{}, a.keys...), vals: append([]val{}, a.vals...)}
				for i, k := range b.keys {
					c.set(k, b.vals[i])
				}
				return c
			}
		}
	}
	return arith(e.Op, l, r)
}

func codesAsVals(c *codelistV) []val {
	out := make([]val, len(c.codes))
	for i, x := range c.codes {
		out[i] = pyStr(x)
	}
	return out
}

// combineCodelists is `codelist_a + codelist_b` (list concatenation).
func combineCodelists(a *codelistV, r val) val {
	switch b := r.(type) {
	case *codelistV:
		if a.category || b.category {
			return unknown
		}
		c := &codelistV{path: a.path + " + " + b.path, column: a.column, known: a.known && b.known, rng: a.rng, file: a.file}
		c.codes = append(append([]string{}, a.codes...), b.codes...)
		return c
	case *listV:
		if !a.known {
			return unknown
		}
		return &listV{items: append(codesAsVals(a), b.items...)}
	}
	return unknown
}

// arith computes Python arithmetic on numbers (and a few string and date cases).
func arith(op string, l, r val) val {
	if s, ok := l.(pyStr); ok {
		if n, ok := r.(pyInt); ok && op == "*" && n >= 0 && n < 10000 {
			return pyStr(strings.Repeat(string(s), int(n)))
		}
		return unknown
	}
	li, lInt := toInt(l)
	ri, rInt := toInt(r)
	if lInt && rInt {
		switch op {
		case "+":
			return pyInt(li + ri)
		case "-":
			return pyInt(li - ri)
		case "*":
			return pyInt(li * ri)
		case "//":
			if ri == 0 {
				return unknown
			}
			q := li / ri
			if (li%ri != 0) && ((li < 0) != (ri < 0)) {
				q--
			}
			return pyInt(q)
		case "%":
			if ri == 0 {
				return unknown
			}
			m := li % ri
			if m != 0 && (m < 0) != (ri < 0) {
				m += ri
			}
			return pyInt(m)
		case "/":
			if ri == 0 {
				return unknown
			}
			return pyFloat(float64(li) / float64(ri))
		case "**":
			if ri < 0 || ri > 62 {
				return unknown
			}
			return pyInt(int64(math.Pow(float64(li), float64(ri))))
		case "&":
			return pyInt(li & ri)
		case "|":
			return pyInt(li | ri)
		}
		return unknown
	}
	lf, lok := toFloat(l)
	rf, rok := toFloat(r)
	if lok && rok {
		switch op {
		case "+":
			return pyFloat(lf + rf)
		case "-":
			return pyFloat(lf - rf)
		case "*":
			return pyFloat(lf * rf)
		case "/":
			if rf == 0 {
				return unknown
			}
			return pyFloat(lf / rf)
		}
	}
	return unknown
}

func toInt(v val) (int64, bool) {
	switch x := v.(type) {
	case pyInt:
		return int64(x), true
	case pyBool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func toFloat(v val) (float64, bool) {
	switch x := v.(type) {
	case pyInt:
		return float64(x), true
	case pyFloat:
		return float64(x), true
	case pyBool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func (in *interp) unaryop(fr *frame, e *python.UnaryOp, v val) val {
	if isUnknown(v) {
		return unknown
	}
	if isEhrQL(v) {
		return in.ehrqlUnary(fr, e, v)
	}
	switch e.Op {
	case "not":
		if b, ok := truth(v); ok {
			return pyBool(!b)
		}
	case "-":
		switch x := v.(type) {
		case pyInt:
			return -x
		case pyFloat:
			return -x
		}
	case "+":
		return v
	case "~":
		if x, ok := v.(pyInt); ok {
			return ^x
		}
	}
	return unknown
}

func (in *interp) boolop(fr *frame, e *python.BoolOp) val {
	var last val = unknown
	for i, x := range e.Values {
		v := in.eval(fr, x)
		if _, ok := v.(*seriesV); ok {
			in.report(fr, CodeEQBoolKeyword, e, "The keywords 'and', 'or', and 'not' cannot be used with ehrQL, please use the operators '&', '|' and '~' instead")
			op := " & "
			if e.Op == "or" {
				op = " | "
			}
			var parts []string
			for _, x := range e.Values {
				parts = append(parts, "("+fr.src(x)+")")
			}
			in.fix("Use "+strings.TrimSpace(op), rng(e), strings.Join(parts, op))
			for _, rest := range e.Values[i+1:] {
				in.eval(fr, rest)
			}
			return unknown
		}
		b, ok := truth(v)
		if !ok {
			for _, rest := range e.Values[i+1:] {
				in.speculate(fr, func() { in.eval(fr, rest) })
			}
			return unknown
		}
		last = v
		if (e.Op == "and" && !b) || (e.Op == "or" && b) {
			return v
		}
	}
	return last
}

func (in *interp) compare(fr *frame, e *python.Compare) val {
	left := in.eval(fr, e.Left)
	vals := []val{left}
	for _, c := range e.Comparators {
		vals = append(vals, in.eval(fr, c))
	}
	anySeries := false
	for _, v := range vals {
		if _, ok := v.(*seriesV); ok {
			anySeries = true
		}
	}
	anyUnknown := false
	for _, v := range vals {
		if isUnknown(v) {
			anyUnknown = true
		}
	}
	if len(e.Ops) > 1 && anySeries && !anyUnknown {
		in.report(fr, CodeEQBoolKeyword, e, "chained comparisons such as `a < b < c` cannot be used with ehrQL (Python turns them into `and`): write `(a < b) & (b < c)`")
		operands := append([]python.Expr{e.Left}, e.Comparators...)
		var parts []string
		for i, op := range e.Ops {
			parts = append(parts, "("+fr.src(operands[i])+" "+op+" "+fr.src(operands[i+1])+")")
		}
		in.fix("Split into comparisons joined with &", rng(e), strings.Join(parts, " & "))
		return unknown
	}
	if len(e.Ops) == 1 {
		l, r := vals[0], vals[1]
		if isUnknown(l) || isUnknown(r) {
			return unknown
		}
		if op := e.Ops[0]; (op == "is" || op == "is not") && (isEhrQL(l) || isEhrQL(r)) {
			// Identity tests work on any object; against None they are always decided.
			if isNone(l) || isNone(r) {
				return pyBool(op == "is not")
			}
			return unknown
		}
		if isEhrQL(l) || isEhrQL(r) {
			return in.ehrqlCompare(fr, e, e.Ops[0], l, r)
		}
		return pyCompare(e.Ops[0], l, r)
	}
	// Chained comparison of Python values.
	result := true
	for i, op := range e.Ops {
		v := pyCompare(op, vals[i], vals[i+1])
		b, ok := v.(pyBool)
		if !ok {
			return unknown
		}
		result = result && bool(b)
	}
	return pyBool(result)
}

func pyCompare(op string, l, r val) val {
	switch op {
	case "==", "!=":
		lk, lok := hashKey(l)
		rk, rok := hashKey(r)
		if !lok || !rok {
			return unknown
		}
		eq := lk == rk
		if op == "!=" {
			eq = !eq
		}
		return pyBool(eq)
	case "in", "not in":
		items, ok := iterate(r)
		if !ok {
			if rs, isStr := r.(pyStr); isStr {
				if ls, isStr := l.(pyStr); isStr {
					res := strings.Contains(string(rs), string(ls))
					return pyBool(res == (op == "in"))
				}
			}
			return unknown
		}
		lk, lok := hashKey(l)
		if !lok {
			return unknown
		}
		found := false
		for _, it := range items {
			if k, ok := hashKey(it); ok && k == lk {
				found = true
				break
			}
		}
		return pyBool(found == (op == "in"))
	case "is", "is not":
		_, ln := l.(noneV)
		_, rn := r.(noneV)
		if rn || ln {
			res := ln && rn
			return pyBool(res == (op == "is"))
		}
		return unknown
	case "<", "<=", ">", ">=":
		if a, ok := l.(pyDate); ok {
			if b, ok := r.(pyDate); ok {
				return pyBool(cmpOrder(op, compareDates(qm.Date(a), qm.Date(b))))
			}
			return unknown
		}
		if a, ok := l.(pyStr); ok {
			if b, ok := r.(pyStr); ok {
				return pyBool(cmpOrder(op, strings.Compare(string(a), string(b))))
			}
			return unknown
		}
		lf, lok := toFloat(l)
		rf, rok := toFloat(r)
		if lok && rok {
			c := 0
			if lf < rf {
				c = -1
			} else if lf > rf {
				c = 1
			}
			return pyBool(cmpOrder(op, c))
		}
	}
	return unknown
}

func compareDates(a, b qm.Date) int {
	switch {
	case a.Before(b):
		return -1
	case b.Before(a):
		return 1
	}
	return 0
}

func cmpOrder(op string, c int) bool {
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

// isEhrQL reports whether v is an ehrQL object whose operators ehrQL defines.
func isEhrQL(v val) bool {
	switch v.(type) {
	case *seriesV, *durationV, *dateDiffV, *frameV, codeV, *whenV, *whenThenV, *codelistV, intervalV:
		return true
	}
	return false
}

var simpleSpec = regexp.MustCompile(`^(0?)(\d*)([dfs]?)$|^\.(\d+)f$`)

// formatSpec applies the simple format specs studies use in f-strings ({i:02d}, {x:.2f},
// {s:>10} is not modelled).
func formatSpec(v val, spec []python.FStringPart) (string, bool) {
	if len(spec) != 1 {
		return "", false
	}
	t, ok := spec[0].(*python.FStringText)
	if !ok {
		return "", false
	}
	m := simpleSpec.FindStringSubmatch(t.Value)
	if m == nil {
		return "", false
	}
	if m[4] != "" {
		f, ok := toFloat(v)
		if !ok {
			return "", false
		}
		prec, _ := strconv.Atoi(m[4])
		return strconv.FormatFloat(f, 'f', prec, 64), true
	}
	width, _ := strconv.Atoi(m[2])
	switch x := v.(type) {
	case pyInt:
		if m[3] != "" && m[3] != "d" {
			return "", false
		}
		s := strconv.FormatInt(int64(x), 10)
		pad := " "
		if m[1] == "0" {
			pad = "0"
		}
		for len(s) < width {
			s = pad + s
		}
		return s, true
	case pyStr:
		if m[3] != "" && m[3] != "s" || m[1] == "0" {
			return "", false
		}
		s := string(x)
		for len(s) < width {
			s += " "
		}
		return s, true
	}
	return "", false
}
