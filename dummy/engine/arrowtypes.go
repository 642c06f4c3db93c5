package engine

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/opensafely-core/osls/analysis/qm"
)

// smallestIntType is the narrowest Arrow integer type that holds every value of [lo, hi],
// by ehrQL's rule: unsigned when lo is not negative, and the bound compared is the larger
// of hi and |lo| (so [-1, 200] needs int16, not int8).
func smallestIntType(lo, hi int64) arrow.DataType {
	abs := hi
	if -lo > abs {
		abs = -lo
	}
	if lo < 0 {
		switch {
		case abs < 1<<7:
			return arrow.PrimitiveTypes.Int8
		case abs < 1<<15:
			return arrow.PrimitiveTypes.Int16
		case abs < 1<<31:
			return arrow.PrimitiveTypes.Int32
		}
		return arrow.PrimitiveTypes.Int64
	}
	switch {
	case abs < 1<<8:
		return arrow.PrimitiveTypes.Uint8
	case abs < 1<<16:
		return arrow.PrimitiveTypes.Uint16
	case abs < 1<<32:
		return arrow.PrimitiveTypes.Uint32
	}
	return arrow.PrimitiveTypes.Uint64
}

// valueType is the Arrow type of a column's values (before any dictionary encoding).
func valueType(t qm.Type, spec ColumnSpec) arrow.DataType {
	switch t.Kind {
	case qm.Bool:
		return arrow.FixedWidthTypes.Boolean
	case qm.Int:
		if spec.HasRange {
			return smallestIntType(spec.Min, spec.Max)
		}
		return arrow.PrimitiveTypes.Int64
	case qm.Float:
		return arrow.PrimitiveTypes.Float64
	case qm.DateKind:
		return arrow.FixedWidthTypes.Date32
	}
	return arrow.BinaryTypes.String
}

// arrowField returns the field ehrQL writes for an output column; for a categorical column
// also the dictionary (every category, in order) and the categories as values.
func arrowField(c OutColumn, mem memory.Allocator) (arrow.Field, arrow.Array, []Val) {
	spec := ColumnSpec{}
	if c.Series != nil {
		spec = SpecOf(c.Series)
	}
	vt := valueType(c.Type, spec)
	if spec.Categories == nil {
		return arrow.Field{Name: c.Name, Type: vt, Nullable: true}, nil, nil
	}
	// A signed index type even though indices are never negative (pandas cannot read
	// unsigned dictionary indices), as ehrQL does.
	it := smallestIntType(-1, int64(len(spec.Categories))-1)
	b := array.NewBuilder(mem, vt)
	defer b.Release()
	for _, v := range spec.Categories {
		if err := appendVal(b, v); err != nil {
			// A category that does not fit the column's type: write the column plainly.
			return arrow.Field{Name: c.Name, Type: vt, Nullable: true}, nil, nil
		}
	}
	dict := b.NewArray()
	dt := &arrow.DictionaryType{IndexType: it, ValueType: vt, Ordered: true}
	return arrow.Field{Name: c.Name, Type: dt, Nullable: true}, dict, spec.Categories
}

// arrowCol accumulates one column of a record batch: its values, or for a dictionary
// column the indices of its categories.
type arrowCol struct {
	typ  arrow.DataType
	b    array.Builder
	dict arrow.Array
	cats []Val
}

func newArrowCol(mem memory.Allocator, typ arrow.DataType, dict arrow.Array, cats []Val) *arrowCol {
	c := &arrowCol{typ: typ, dict: dict, cats: cats}
	if dt, ok := typ.(*arrow.DictionaryType); ok {
		c.b = array.NewBuilder(mem, dt.IndexType)
	} else {
		c.b = array.NewBuilder(mem, typ)
	}
	return c
}

func (c *arrowCol) append(v Val) error {
	if v.K == KNull {
		c.b.AppendNull()
		return nil
	}
	if c.dict == nil {
		return appendVal(c.b, v)
	}
	for i, k := range c.cats {
		if Equal(k, v) {
			return appendVal(c.b, Int(int64(i)))
		}
	}
	return fmt.Errorf("%s is not one of the column's categories", v.Text())
}

// finish returns the column's array (ownership passes to the caller) and starts anew.
func (c *arrowCol) finish() arrow.Array {
	a := c.b.NewArray()
	if c.dict == nil {
		return a
	}
	defer a.Release()
	return array.NewDictionaryArray(c.typ, a, c.dict)
}

func (c *arrowCol) release() {
	c.b.Release()
	if c.dict != nil {
		c.dict.Release()
	}
}

// intBounds are the values each narrow integer type holds.
var intBounds = map[arrow.Type][2]int64{
	arrow.INT8: {-1 << 7, 1<<7 - 1}, arrow.INT16: {-1 << 15, 1<<15 - 1}, arrow.INT32: {-1 << 31, 1<<31 - 1},
	arrow.UINT8: {0, 1<<8 - 1}, arrow.UINT16: {0, 1<<16 - 1}, arrow.UINT32: {0, 1<<32 - 1}, arrow.UINT64: {0, 1<<63 - 1},
}

// appendVal appends a non-NULL value to a builder of any of the types the writer uses; an
// int that does not fit the column's type is an error, as in ehrQL.
func appendVal(b array.Builder, v Val) error {
	if bounds, ok := intBounds[b.Type().ID()]; ok && v.K == KInt && (v.I < bounds[0] || v.I > bounds[1]) {
		return fmt.Errorf("%d does not fit the column's type %s", v.I, b.Type())
	}
	switch x := b.(type) {
	case *array.BooleanBuilder:
		x.Append(v.I != 0)
	case *array.Int8Builder:
		x.Append(int8(v.I))
	case *array.Int16Builder:
		x.Append(int16(v.I))
	case *array.Int32Builder:
		x.Append(int32(v.I))
	case *array.Int64Builder:
		x.Append(v.I)
	case *array.Uint8Builder:
		x.Append(uint8(v.I))
	case *array.Uint16Builder:
		x.Append(uint16(v.I))
	case *array.Uint32Builder:
		x.Append(uint32(v.I))
	case *array.Uint64Builder:
		x.Append(uint64(v.I))
	case *array.Float64Builder:
		if v.K == KInt {
			x.Append(float64(v.I))
		} else {
			x.Append(v.F)
		}
	case *array.Date32Builder:
		x.Append(arrow.Date32(v.I))
	case *array.StringBuilder:
		x.Append(v.Text())
	default:
		return fmt.Errorf("cannot write %s as %s", v.Text(), b.Type())
	}
	return nil
}
