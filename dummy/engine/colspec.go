package engine

import (
	"strconv"

	"github.com/opensafely-core/osls/analysis/qm"
	"github.com/opensafely-core/osls/schema"
)

// ColumnSpec is what ehrQL knows about an output column beyond its type, and uses to
// choose its Arrow type: the values a categorical column can take (in order), and the range
// of an int column.
type ColumnSpec struct {
	// Categories are the possible non-NULL values, in ehrQL's order; nil when the column is
	// not categorical.
	Categories []Val
	// HasRange is set when the column's ints are known to lie in [Min, Max].
	HasRange bool
	Min, Max int64
}

// SpecOf works out a column's spec from its definition, with ehrQL's rules: a column of a
// table keeps its Categorical constraint and its ClosedRange; min and max keep their
// input's categories; a literal is a category of its own; a case is categorical when every
// output is, with their categories in order of first appearance; a count lies in
// [0, 65535]. Anything else destroys both.
func SpecOf(s qm.Series) ColumnSpec {
	var cs ColumnSpec
	if cats, ok := categoriesOf(s); ok {
		var kept []Val
		for _, c := range cats {
			if c.K != KNull {
				kept = append(kept, c)
			}
		}
		cs.Categories = kept
	}
	cs.Min, cs.Max, cs.HasRange = rangeOf(s)
	return cs
}

func categoriesOf(s qm.Series) ([]Val, bool) {
	switch x := s.(type) {
	case *qm.SelectColumn:
		if x.Name == "patient_id" {
			return nil, false
		}
		t := x.Source.Table()
		if t == nil {
			return nil, false
		}
		c, ok := t.Column(x.Name)
		if !ok || len(c.Categories) == 0 {
			return nil, false
		}
		var out []Val
		for _, k := range c.Categories {
			v, err := ParseCell(k, c.Type)
			if err != nil {
				return nil, false
			}
			out = append(out, v)
		}
		return out, true
	case *qm.Aggregate:
		if (x.Op == qm.AggMin || x.Op == qm.AggMax) && x.Arg != nil {
			return categoriesOf(x.Arg)
		}
	case *qm.Value:
		if _, isSet := x.V.([]any); isSet {
			return nil, false
		}
		return []Val{FromLiteral(x.V, x.T)}, true
	case *qm.Case:
		outs := make([]qm.Series, 0, len(x.Branches)+1)
		for _, b := range x.Branches {
			outs = append(outs, b.Value)
		}
		if x.Default != nil {
			outs = append(outs, x.Default)
		}
		var all []Val
		for _, o := range outs {
			if o == nil {
				return nil, false
			}
			cats, ok := categoriesOf(o)
			if !ok {
				return nil, false
			}
			for _, c := range cats {
				dup := false
				for _, a := range all {
					if a.K == c.K && Equal(a, c) {
						dup = true
						break
					}
				}
				if !dup {
					all = append(all, c)
				}
			}
		}
		return all, true
	}
	return nil, false
}

func rangeOf(s qm.Series) (lo, hi int64, ok bool) {
	switch x := s.(type) {
	case *qm.Aggregate:
		if x.Op == qm.AggCount {
			return 0, 1<<16 - 1, true
		}
	case *qm.SelectColumn:
		t := x.Source.Table()
		if t == nil || x.T.Kind != qm.Int {
			return 0, 0, false
		}
		col, found := schemaColumn(t, x.Name)
		if !found {
			return 0, 0, false
		}
		c := col.Constraints
		if c.Min == "" || c.Max == "" || c.MinExclusive || c.MaxExclusive {
			return 0, 0, false
		}
		a, err1 := strconv.ParseInt(c.Min, 10, 64)
		b, err2 := strconv.ParseInt(c.Max, 10, 64)
		if err1 != nil || err2 != nil {
			return 0, 0, false
		}
		return a, b, true
	}
	return 0, 0, false
}

// schemaColumn finds a table's column in the catalogue (any API version that has the
// table's module).
func schemaColumn(t *qm.Table, name string) (schema.EhrQLColumn, bool) {
	for _, v := range []string{schema.EhrQLV1, schema.EhrQLV0} {
		m, ok := schema.LookupEhrQLModule(v, t.Module)
		if !ok {
			continue
		}
		for i := range m.Tables {
			st := &m.Tables[i]
			if st.Name != t.Name && st.StorageName != t.Name {
				continue
			}
			if c, ok := st.Column(name); ok {
				return c, true
			}
		}
	}
	return schema.EhrQLColumn{}, false
}
