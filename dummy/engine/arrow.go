package engine

import (
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/opensafely-core/osls/analysis/qm"
)

// arrowBatch is the number of rows per record batch, as ehrQL writes them.
const arrowBatch = 64000

// arrowWriter writes an Arrow IPC file with zstd-compressed record batches, with the
// types ehrQL gives each column (see arrowField in arrowtypes.go): patient_id int64; bool,
// float64, utf8 (strings and codes) and date32 columns; ints in the smallest type their
// known range fits (int64 when it is unknown); categorical columns as dictionaries of their
// categories, in order, with the smallest signed index type.
type arrowWriter struct {
	out    io.WriteCloser
	mem    memory.Allocator
	schema *arrow.Schema
	cols   []*arrowCol // patient_id (unless omitted), then the output columns
	w      *ipc.FileWriter
	n      int
	noID   bool
}

// OmitPatientID makes the file leave out the patient_id column (measures output).
func (a *arrowWriter) OmitPatientID() { a.noID = true }

func newArrowWriter(out io.WriteCloser) Writer {
	return &arrowWriter{out: out, mem: memory.NewGoAllocator()}
}

// Header implements Writer.
func (a *arrowWriter) Header(cols []OutColumn) error {
	var fields []arrow.Field
	if !a.noID {
		fields = append(fields, arrow.Field{Name: "patient_id", Type: arrow.PrimitiveTypes.Int64})
		a.cols = append(a.cols, newArrowCol(a.mem, arrow.PrimitiveTypes.Int64, nil, nil))
	}
	for _, c := range cols {
		f, dict, cats := arrowField(c, a.mem)
		fields = append(fields, f)
		a.cols = append(a.cols, newArrowCol(a.mem, f.Type, dict, cats))
	}
	a.schema = arrow.NewSchema(fields, nil)
	w, err := ipc.NewFileWriter(a.out, ipc.WithSchema(a.schema), ipc.WithZstd(), ipc.WithAllocator(a.mem))
	if err != nil {
		return err
	}
	a.w = w
	return nil
}

// Row implements Writer.
func (a *arrowWriter) Row(id int64, vals []Val) error {
	off := 0
	if !a.noID {
		_ = a.cols[0].append(Int(id))
		off = 1
	}
	for i, v := range vals {
		if err := a.cols[i+off].append(v); err != nil {
			return fmt.Errorf("column %s: %w", a.schema.Field(i+off).Name, err)
		}
	}
	a.n++
	if a.n >= arrowBatch {
		return a.flush()
	}
	return nil
}

func (a *arrowWriter) flush() error {
	if a.n == 0 {
		return nil
	}
	arrs := make([]arrow.Array, len(a.cols))
	for i, c := range a.cols {
		arrs[i] = c.finish()
	}
	rec := array.NewRecordBatch(a.schema, arrs, int64(a.n))
	for _, x := range arrs {
		x.Release()
	}
	defer rec.Release()
	a.n = 0
	return a.w.Write(rec)
}

// Close implements Writer.
func (a *arrowWriter) Close() error {
	var err error
	if a.w != nil {
		err = a.flush()
		if e := a.w.Close(); err == nil {
			err = e
		}
		for _, c := range a.cols {
			c.release()
		}
	}
	if e := a.out.Close(); err == nil {
		err = e
	}
	return err
}

// readTableArrow reads a dummy table (or dummy dataset) from an Arrow IPC file.
func readTableArrow(f *os.File, display string, ts *TableSchema) (*Table, error) {
	r, err := ipc.NewFileReader(f, ipc.WithAllocator(memory.NewGoAllocator()))
	if err != nil {
		return nil, validationErr("%s: not an Arrow IPC file: %v", pyRepr(display), err)
	}
	defer r.Close()
	sch := r.Schema()
	pid := -1
	colOf := make([]int, len(ts.Columns))
	for i := range colOf {
		colOf[i] = -1
	}
	for i, fd := range sch.Fields() {
		if fd.Name == "patient_id" {
			pid = i
		} else if j := ts.ColumnIndex(fd.Name); j >= 0 {
			colOf[j] = i
		}
	}
	if pid < 0 && !ts.NoPatient {
		return nil, validationErr("%s: missing column 'patient_id'", pyRepr(display))
	}
	t := &Table{Schema: ts}
	rowNum := 0
	for b := 0; b < r.NumRecords(); b++ {
		rec, err := r.RecordBatch(b)
		if err != nil {
			return nil, validationErr("%s: %v", pyRepr(display), err)
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			rowNum++
			idv := Int(0)
			if !ts.NoPatient {
				idv, err = arrowVal(rec.Column(pid), i, qm.TInt)
				if err != nil || idv.K != KInt {
					return nil, validationErr("%s, row %d: column 'patient_id': %v", pyRepr(display), rowNum, err)
				}
			}
			row := make(Row, len(ts.Columns))
			for j, c := range ts.Columns {
				if colOf[j] < 0 {
					continue
				}
				v, err := arrowVal(rec.Column(colOf[j]), i, c.Type)
				if err != nil {
					return nil, validationErr("%s, row %d: column %s: %v", pyRepr(display), rowNum, pyRepr(c.Name), err)
				}
				if !inCategories(v, c) {
					return nil, validationErr("%s, row %d: column %s: %s not in valid categories: %s", pyRepr(display), rowNum, pyRepr(c.Name), pyRepr(v.Text()), categoriesText(c))
				}
				row[j] = v
			}
			t.IDs = append(t.IDs, idv.I)
			t.Rows = append(t.Rows, row)
		}
	}
	return t, nil
}

// arrowVal reads one cell, converting Arrow's type to the column's.
func arrowVal(col arrow.Array, i int, t qm.Type) (Val, error) {
	if col.IsNull(i) {
		return Null, nil
	}
	var v Val
	switch a := col.(type) {
	case *array.Boolean:
		v = Bool(a.Value(i))
	case *array.Int8:
		v = Int(int64(a.Value(i)))
	case *array.Int16:
		v = Int(int64(a.Value(i)))
	case *array.Int32:
		v = Int(int64(a.Value(i)))
	case *array.Int64:
		v = Int(a.Value(i))
	case *array.Uint8:
		v = Int(int64(a.Value(i)))
	case *array.Uint16:
		v = Int(int64(a.Value(i)))
	case *array.Uint32:
		v = Int(int64(a.Value(i)))
	case *array.Uint64:
		v = Int(int64(a.Value(i)))
	case *array.Float32:
		v = Float(float64(a.Value(i)))
	case *array.Float64:
		v = Float(a.Value(i))
	case *array.Date32:
		v = DateDays(int64(a.Value(i)))
	case *array.String:
		v = Str(a.Value(i))
	case *array.LargeString:
		v = Str(a.Value(i))
	case *array.Dictionary:
		return arrowVal(a.Dictionary(), a.GetValueIndex(i), t)
	default:
		return Null, fmt.Errorf("unsupported Arrow type %s", col.DataType())
	}
	return convertTo(v, t)
}

// convertTo checks a value read from a typed file against the column type.
func convertTo(v Val, t qm.Type) (Val, error) {
	switch t.Kind {
	case qm.Unknown:
		return v, nil
	case qm.Float:
		if v.K == KInt {
			return Float(float64(v.I)), nil
		}
	case qm.Str, qm.Code, qm.MultiCode:
		if v.K == KStr {
			return v, nil
		}
		return Null, fmt.Errorf("expected a string, got %s", v.Text())
	}
	want := map[qm.Kind]Kind{qm.Bool: KBool, qm.Int: KInt, qm.Float: KFloat, qm.DateKind: KDate}[t.Kind]
	if v.K != want {
		return Null, fmt.Errorf("expected %s, got %s", t, v.Text())
	}
	return v, nil
}

func arrowColumns(f *os.File) ([]string, error) {
	r, err := ipc.NewFileReader(f, ipc.WithAllocator(memory.NewGoAllocator()))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []string
	for _, fd := range r.Schema().Fields() {
		out = append(out, fd.Name)
	}
	return out, nil
}
