package analysis

import (
	"github.com/opensafely-core/osls/analysis/python"
)

// evalCall evaluates the callee and the arguments of a call, then calls.
func (in *interp) evalCall(fr *frame, e *python.Call) val {
	fn := in.eval(fr, e.Func)
	var args []val
	var argN []python.Expr
	kw := map[string]val{}
	kwN := map[string]*python.Keyword{}
	spread := false
	for _, a := range e.Args {
		if st, ok := a.(*python.Starred); ok {
			v := in.eval(fr, st.Value)
			if items, ok := iterate(v); ok {
				for _, it := range items {
					args = append(args, it)
					argN = append(argN, st)
				}
				continue
			}
			spread = true
			continue
		}
		args = append(args, in.eval(fr, a))
		argN = append(argN, a)
	}
	for _, k := range e.Keywords {
		v := in.eval(fr, k.Value)
		if k.Arg == "" {
			if d, ok := v.(*dictV); ok {
				for i, key := range d.keys {
					if s, ok := key.(pyStr); ok {
						kw[string(s)] = d.vals[i]
						kwN[string(s)] = k
					}
				}
				continue
			}
			spread = true
			continue
		}
		kw[k.Arg] = v
		kwN[k.Arg] = k
	}
	// A dataset handed to code we do not run (a user class, an unknown module's function)
	// may gain columns we cannot see.
	switch fn.(type) {
	case *funcV, *boundV:
	case *builtinV:
		if b := fn.(*builtinV); b.name != "getattr" && b.name != "setattr" && b.name != "hasattr" && b.name != "isinstance" && b.name != "print" && b.name != "len" {
			escapeDatasets(args, kw)
		}
	default:
		escapeDatasets(args, kw)
	}
	if spread {
		// We cannot tell which parameters *args/**kwargs fill: check nothing, know nothing.
		if f, ok := fn.(*funcV); ok {
			in.callUser(fr, e, f, nil, nil, nil, true)
		}
		return unknown
	}
	v := in.call(fr, e, fn, args, argN, kw, kwN)
	in.noteValueType(fr, e, v)
	return v
}

// call applies fn to evaluated arguments.
func (in *interp) call(fr *frame, node *python.Call, fn val, args []val, argN []python.Expr, kw map[string]val, kwN map[string]*python.Keyword) val {
	if kw == nil {
		kw = map[string]val{}
		kwN = map[string]*python.Keyword{}
	}
	for len(argN) < len(args) {
		argN = append(argN, nil)
	}
	c := &callCtx{node: node, fn: fn, args: args, argN: argN, kw: kw, kwN: kwN, fr: fr}
	switch f := fn.(type) {
	case *funcV:
		return in.callUser(fr, node, f, args, kw, argN, false)
	case *builtinV:
		return f.fn(in, c)
	case *boundV:
		return in.callMethod(fr, c, f)
	case typeV:
		return in.callType(fr, c, f)
	case *userClassV:
		return unknown
	case *frameV, *seriesV:
		in.report(fr, CodeEQNotASeries, node.Func, "'%s' object is not callable", typeName(fn))
		return unknown
	}
	return unknown
}

// callUser runs a user function with its arguments bound, so that types flow through
// helper functions. Recursion and very deep call chains give up with unknown.
func (in *interp) callUser(fr *frame, node *python.Call, f *funcV, args []val, kw map[string]val, argN []python.Expr, allUnknown bool) val {
	if in.callDepth >= maxCallDepth {
		return unknown
	}
	var params []*python.Param
	var body []python.Stmt
	var lambdaBody python.Expr
	if f.def != nil {
		params, body = f.def.Params, f.def.Body
	} else if f.lambda != nil {
		params, lambdaBody = f.lambda.Params, f.lambda.Body
	} else {
		return unknown
	}
	sc := newScope(f.closure)
	if f.mod != nil && f.closure == nil {
		sc.parent = f.mod.globals
	}
	defFrame := &frame{mod: f.mod, sc: f.closure}
	if defFrame.sc == nil && f.mod != nil {
		defFrame.sc = f.mod.globals
	}
	pos := 0
	used := map[string]bool{}
	for _, p := range params {
		switch p.Kind {
		case python.ParamVarPositional:
			rest := &listV{tuple: true}
			if !allUnknown && pos < len(args) {
				rest.items = append(rest.items, args[pos:]...)
				pos = len(args)
			}
			if allUnknown {
				sc.vars[p.Name] = unknown
			} else {
				sc.vars[p.Name] = rest
			}
			continue
		case python.ParamVarKeyword:
			d := &dictV{}
			for k, v := range kw {
				if !used[k] {
					d.set(pyStr(k), v)
				}
			}
			if allUnknown {
				sc.vars[p.Name] = unknown
			} else {
				sc.vars[p.Name] = d
			}
			continue
		}
		var v val
		switch {
		case allUnknown:
			v = unknown
		case p.Kind != python.ParamKeywordOnly && pos < len(args):
			v = args[pos]
			pos++
		default:
			if x, ok := kw[p.Name]; ok {
				v = x
				used[p.Name] = true
			} else if p.Default != nil {
				v = in.eval(defFrame, p.Default)
			} else {
				v = unknown
			}
		}
		if x, ok := kw[p.Name]; ok && !used[p.Name] && !allUnknown {
			v = x
			used[p.Name] = true
		}
		sc.vars[p.Name] = v
	}
	in.callDepth++
	defer func() { in.callDepth-- }()
	callee := &frame{mod: f.mod, sc: sc}
	if lambdaBody != nil {
		return in.eval(callee, lambdaBody)
	}
	in.execBlock(callee, body)
	if !callee.retSet {
		return none
	}
	return callee.ret
}

// escapeDatasets marks datasets passed to code we do not follow as having columns we cannot
// know, so reading one of them is never reported as undefined.
func escapeDatasets(args []val, kw map[string]val) {
	for _, a := range args {
		if d, ok := a.(*datasetV); ok {
			d.st.unknownNames = true
		}
	}
	for _, a := range kw {
		if d, ok := a.(*datasetV); ok {
			d.st.unknownNames = true
		}
	}
}
