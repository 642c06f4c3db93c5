package python

import (
	"fmt"
	"reflect"
	"strings"
)

// sexpr renders a node and its subtree compactly for table tests:
// Type[attrs]@start:end(children...).
func sexpr(n Node) string {
	var sb strings.Builder
	writeSexpr(&sb, n)
	return sb.String()
}

func writeSexpr(sb *strings.Builder, n Node) {
	t := reflect.TypeOf(n).Elem().Name()
	sb.WriteString(t)
	if a := attrs(n); a != "" {
		sb.WriteString("[" + a + "]")
	}
	r := n.Span()
	fmt.Fprintf(sb, "@%d:%d", r.Start, r.End)
	kids := Children(n)
	if len(kids) > 0 {
		sb.WriteString("(")
		for i, k := range kids {
			if i > 0 {
				sb.WriteString(" ")
			}
			writeSexpr(sb, k)
		}
		sb.WriteString(")")
	}
}

func attrs(n Node) string {
	switch n := n.(type) {
	case *Unknown:
		return n.Kind
	case *ImportFrom:
		s := fmt.Sprintf("%s level=%d", n.Module, n.Level)
		if n.Star {
			s += " *"
		}
		return s
	case *Alias:
		if n.AsName != "" {
			return n.Name + " as " + n.AsName
		}
		return n.Name
	case *AugAssign:
		return n.Op
	case *FunctionDef:
		if n.Async {
			return "async " + n.Name
		}
		return n.Name
	case *Param:
		return fmt.Sprintf("%s %s", n.Name, n.Kind)
	case *ClassDef:
		return n.Name
	case *If:
		if n.Elif {
			return "elif"
		}
	case *For:
		if n.Async {
			return "async"
		}
	case *With:
		if n.Async {
			return "async"
		}
	case *ExceptHandler:
		s := n.Name
		if n.Star {
			s = "* " + s
		}
		return s
	case *Name:
		return n.ID
	case *Attribute:
		return n.Attr
	case *Keyword:
		return n.Arg
	case *BinOp:
		return n.Op
	case *UnaryOp:
		return n.Op
	case *BoolOp:
		return n.Op
	case *Compare:
		return strings.Join(n.Ops, ",")
	case *Int:
		if n.Overflow {
			return n.Text + " overflow"
		}
		return fmt.Sprint(n.Value)
	case *Float:
		if n.Imag {
			return fmt.Sprint(n.Value) + "j"
		}
		return fmt.Sprint(n.Value)
	case *Str:
		return fmt.Sprintf("%q", n.Value)
	case *Bytes:
		return fmt.Sprintf("%q", n.Value)
	case *FStringText:
		return fmt.Sprintf("%q", n.Value)
	case *FStringExpr:
		s := ""
		if n.Debug {
			s += "="
		}
		if n.Conversion != 0 {
			s += "!" + string(n.Conversion)
		}
		if n.FormatSpec != nil {
			s += ":"
		}
		return s
	case *Bool:
		return fmt.Sprint(n.Value)
	case *Comprehension:
		if n.Async {
			return "async"
		}
	}
	return ""
}
