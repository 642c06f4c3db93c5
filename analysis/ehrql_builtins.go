package analysis

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opensafely-core/osls/analysis/python"
	"github.com/opensafely-core/osls/analysis/qm"
)

func bi(name string, fn func(in *interp, c *callCtx) val) *builtinV {
	return &builtinV{name: name, fn: fn}
}

func returnsUnknown(name string) *builtinV {
	return bi(name, func(*interp, *callCtx) val { return unknown })
}

// builtin returns the Python builtin of that name, when we model it.
func (in *interp) builtin(name string) (val, bool) {
	switch name {
	case "len":
		return bi(name, func(in *interp, c *callCtx) val {
			if len(c.args) != 1 {
				return unknown
			}
			switch x := c.args[0].(type) {
			case *listV:
				return pyInt(len(x.items))
			case *dictV:
				return pyInt(len(x.keys))
			case *setV:
				return pyInt(len(x.items))
			case pyStr:
				return pyInt(len([]rune(string(x))))
			case *codelistV:
				if x.known {
					return pyInt(len(x.codes))
				}
			}
			return unknown
		}), true
	case "range":
		return bi(name, func(in *interp, c *callCtx) val {
			var ns []int64
			for _, a := range c.args {
				n, ok := a.(pyInt)
				if !ok {
					return unknown
				}
				ns = append(ns, int64(n))
			}
			start, stop, step := int64(0), int64(0), int64(1)
			switch len(ns) {
			case 1:
				stop = ns[0]
			case 2:
				start, stop = ns[0], ns[1]
			case 3:
				start, stop, step = ns[0], ns[1], ns[2]
			default:
				return unknown
			}
			if step == 0 {
				return unknown
			}
			l := &listV{}
			for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
				if len(l.items) >= maxCollection {
					return unknown
				}
				l.items = append(l.items, pyInt(i))
			}
			return l
		}), true
	case "str":
		return typeV{name: "str", t: qm.TStr}, true
	case "int":
		return typeV{name: "int", t: qm.TInt}, true
	case "float":
		return typeV{name: "float", t: qm.TFloat}, true
	case "bool":
		return typeV{name: "bool", t: qm.TBool}, true
	case "list", "tuple", "set", "frozenset", "sorted", "reversed":
		return bi(name, func(in *interp, c *callCtx) val {
			if len(c.args) == 0 {
				if name == "set" || name == "frozenset" {
					return &setV{}
				}
				return &listV{tuple: name == "tuple"}
			}
			items, ok := iterate(c.args[0])
			if !ok {
				return unknown
			}
			items = append([]val{}, items...)
			switch name {
			case "set", "frozenset":
				return &setV{items: dedupe(items)}
			case "sorted":
				if _, hasKey := c.kw["key"]; hasKey {
					return unknown
				}
				if !sortVals(items) {
					return unknown
				}
				if r, ok := c.kw["reverse"].(pyBool); ok && bool(r) {
					reverseVals(items)
				}
			case "reversed":
				reverseVals(items)
			}
			return &listV{items: items, tuple: name == "tuple"}
		}), true
	case "dict":
		return bi(name, func(in *interp, c *callCtx) val {
			d := &dictV{}
			if len(c.args) == 1 {
				switch x := c.args[0].(type) {
				case *dictV:
					for i, k := range x.keys {
						d.set(k, x.vals[i])
					}
				default:
					items, ok := iterate(x)
					if !ok {
						return unknown
					}
					for _, it := range items {
						p, ok := it.(*listV)
						if !ok || len(p.items) != 2 {
							return unknown
						}
						if _, ok := hashKey(p.items[0]); !ok {
							return unknown
						}
						d.set(p.items[0], p.items[1])
					}
				}
			}
			for _, k := range sortedKeys(c.kw) {
				d.set(pyStr(k), c.kw[k])
			}
			return d
		}), true
	case "zip":
		return bi(name, func(in *interp, c *callCtx) val {
			var lists [][]val
			for _, a := range c.args {
				items, ok := iterate(a)
				if !ok {
					return unknown
				}
				lists = append(lists, items)
			}
			out := &listV{}
			for i := 0; len(lists) > 0; i++ {
				t := &listV{tuple: true}
				for _, l := range lists {
					if i >= len(l) {
						return out
					}
					t.items = append(t.items, l[i])
				}
				out.items = append(out.items, t)
			}
			return out
		}), true
	case "enumerate":
		return bi(name, func(in *interp, c *callCtx) val {
			if len(c.args) < 1 {
				return unknown
			}
			items, ok := iterate(c.args[0])
			if !ok {
				return unknown
			}
			start := int64(0)
			if len(c.args) > 1 {
				if s, ok := c.args[1].(pyInt); ok {
					start = int64(s)
				}
			}
			if s, ok := c.kw["start"].(pyInt); ok {
				start = int64(s)
			}
			out := &listV{}
			for i, it := range items {
				out.items = append(out.items, &listV{tuple: true, items: []val{pyInt(start + int64(i)), it}})
			}
			return out
		}), true
	case "print", "exec", "eval", "open", "input", "iter", "next", "map", "filter", "type", "repr", "hash", "id", "vars", "locals", "globals", "round", "sum", "min", "max", "any", "all", "format", "callable", "super", "object", "property", "staticmethod", "classmethod":
		return returnsUnknown(name), true
	case "abs":
		return bi(name, func(in *interp, c *callCtx) val {
			if len(c.args) == 1 {
				if _, ok := c.args[0].(*seriesV); ok {
					in.report(c.fr, CodeEQArgument, c.node, "Instead of `abs(x)` use `x.absolute()`")
					in.fix("Use .absolute()", rng(c.node), "("+c.fr.src(c.argN[0])+").absolute()")
					return unknown
				}
				switch x := c.args[0].(type) {
				case pyInt:
					if x < 0 {
						return -x
					}
					return x
				case pyFloat:
					if x < 0 {
						return -x
					}
					return x
				}
			}
			return unknown
		}), true
	case "isinstance":
		return bi(name, func(in *interp, c *callCtx) val {
			if len(c.args) != 2 {
				return unknown
			}
			return in.isInstance(c.args[0], c.args[1])
		}), true
	case "hasattr":
		return returnsUnknown(name), true
	case "getattr":
		return bi(name, func(in *interp, c *callCtx) val {
			if len(c.args) < 2 {
				return unknown
			}
			s, ok := c.args[1].(pyStr)
			if !ok {
				return unknown
			}
			obj := c.args[0]
			if ds, ok := obj.(*datasetV); ok {
				if v, ok := ds.st.value(string(s)); ok {
					return v
				}
				return unknown
			}
			if len(c.args) > 2 {
				// getattr with a default never fails.
				return unknown
			}
			switch obj.(type) {
			case *frameV, *seriesV, *moduleV:
				return in.getAttr(c.fr, obj, string(s), &python.Attribute{Range: c.argN[1].Span(), Attr: string(s), AttrRange: c.argN[1].Span()})
			}
			return unknown
		}), true
	case "setattr":
		return bi(name, func(in *interp, c *callCtx) val {
			if len(c.args) != 3 {
				return none
			}
			if ds, ok := c.args[0].(*datasetV); ok {
				var nm string
				known := false
				if s, ok := c.args[1].(pyStr); ok {
					nm, known = string(s), true
				}
				in.datasetAssign(c.fr, ds, nm, known, rng(c.argN[1]), c.args[2], c.argN[2], c.node)
			}
			if m, ok := c.args[0].(*moduleV); ok && m.local != nil {
				if s, ok := c.args[1].(pyStr); ok {
					m.local.globals.vars[string(s)] = c.args[2]
				}
			}
			return none
		}), true
	}
	return nil, false
}

func sortedKeys(m map[string]val) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func dedupe(items []val) []val {
	seen := map[string]bool{}
	var out []val
	for _, it := range items {
		k, ok := hashKey(it)
		if ok && seen[k] {
			continue
		}
		if ok {
			seen[k] = true
		}
		out = append(out, it)
	}
	return out
}

func sortVals(items []val) bool {
	ok := true
	sort.SliceStable(items, func(i, j int) bool {
		c := pyCompare("<", items[i], items[j])
		b, isBool := c.(pyBool)
		if !isBool {
			ok = false
			return false
		}
		return bool(b)
	})
	return ok
}

func reverseVals(items []val) {
	for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
		items[i], items[j] = items[j], items[i]
	}
}

// callType handles calls of Python types: int("3"), str(x), float(...), and code classes.
func (in *interp) callType(fr *frame, c *callCtx, t typeV) val {
	if len(c.args) == 0 {
		switch t.name {
		case "str":
			return pyStr("")
		case "int":
			return pyInt(0)
		}
		return unknown
	}
	a := c.args[0]
	switch t.name {
	case "str":
		if s, ok := pyStrOf(a); ok {
			return pyStr(s)
		}
	case "int":
		switch x := a.(type) {
		case pyInt:
			return x
		case pyFloat:
			return pyInt(int64(x))
		case pyBool:
			if x {
				return pyInt(1)
			}
			return pyInt(0)
		case pyStr:
			if n, err := strconv.ParseInt(strings.TrimSpace(string(x)), 10, 64); err == nil {
				return pyInt(n)
			}
		}
	case "float":
		if f, ok := toFloat(a); ok {
			return pyFloat(f)
		}
		if s, ok := a.(pyStr); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64); err == nil {
				return pyFloat(f)
			}
		}
	case "bool":
		if b, ok := truth(a); ok {
			return pyBool(b)
		}
	case "date":
		return in.makeDate(fr, c)
	}
	if t.t.Kind == qm.Code {
		return in.makeCode(fr, c, t.t.System)
	}
	return unknown
}

// stdModule models the few standard-library modules definitions use.
func (in *interp) stdModule(name string) *moduleV {
	switch name {
	case "datetime":
		return &moduleV{name: name, attrs: map[string]val{
			"date":      typeV{name: "date", t: qm.TDate},
			"datetime":  &moduleV{name: "datetime.datetime", attrs: map[string]val{"strptime": bi("strptime", strptime), "today": returnsUnknown("today"), "now": returnsUnknown("now")}},
			"timedelta": returnsUnknown("timedelta"),
		}}
	case "functools":
		return &moduleV{name: name, attrs: map[string]val{"reduce": bi("reduce", reduceFn), "partial": returnsUnknown("partial"), "lru_cache": returnsUnknown("lru_cache"), "cache": returnsUnknown("cache")}}
	case "operator":
		return &moduleV{name: name, attrs: map[string]val{
			"or_":  binopFn("|"),
			"and_": binopFn("&"),
			"add":  binopFn("+"),
			"mul":  binopFn("*"),
			"sub":  binopFn("-"),
		}}
	case "sys":
		var argv val = unknown
		if in.params != nil {
			l := &listV{items: []val{pyStr(in.entry)}}
			for _, p := range in.params {
				l.items = append(l.items, pyStr(p))
			}
			argv = l
		}
		return &moduleV{name: name, attrs: map[string]val{"argv": argv}}
	}
	return nil
}

func binopFn(op string) *builtinV {
	return bi("operator."+op, func(in *interp, c *callCtx) val {
		if len(c.args) != 2 {
			return unknown
		}
		return in.binop(c.fr, &python.BinOp{Range: c.node.Range, Left: c.node, Op: op, Right: c.node}, c.args[0], c.args[1])
	})
}

// reduceFn is functools.reduce over a known list.
func reduceFn(in *interp, c *callCtx) val {
	if len(c.args) < 2 {
		return unknown
	}
	items, ok := iterate(c.args[1])
	if !ok {
		return unknown
	}
	var acc val
	start := 0
	if len(c.args) > 2 {
		acc = c.args[2]
	} else {
		if len(items) == 0 {
			return unknown
		}
		acc = items[0]
		start = 1
	}
	for _, it := range items[start:] {
		acc = in.call(c.fr, c.node, c.args[0], []val{acc, it}, []python.Expr{c.node, c.node}, nil, nil)
	}
	return acc
}

func strptime(in *interp, c *callCtx) val {
	if len(c.args) != 2 {
		return unknown
	}
	s, ok1 := c.args[0].(pyStr)
	f, ok2 := c.args[1].(pyStr)
	if !ok1 || !ok2 || f != "%Y-%m-%d" {
		return unknown
	}
	t, err := time.Parse("2006-01-02", string(s))
	if err != nil {
		return unknown
	}
	return &moduleV{name: "datetime", attrs: map[string]val{"date": bi("date", func(*interp, *callCtx) val {
		return pyDate(qm.Date{Year: t.Year(), Month: int(t.Month()), Day: t.Day()})
	})}}
}

// makeDate is datetime.date(y, m, d).
func (in *interp) makeDate(fr *frame, c *callCtx) val {
	if len(c.args) != 3 {
		return unknown
	}
	var n [3]int
	for i, a := range c.args {
		x, ok := a.(pyInt)
		if !ok {
			return unknown
		}
		n[i] = int(x)
	}
	if !qm.ValidDate(n[0], n[1], n[2]) {
		in.report(fr, CodeEQBadDate, c.node, "ValueError: %04d-%02d-%02d is not a valid date", n[0], n[1], n[2])
		return unknown
	}
	return pyDate(qm.Date{Year: n[0], Month: n[1], Day: n[2]})
}
