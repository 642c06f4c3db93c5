package dummy

import (
	"context"
	"fmt"
	"strings"

	"github.com/opensafely-core/osls/analysis/qm"
	"github.com/opensafely-core/osls/dummy/engine"
)

// copyDummyData checks a --dummy-data-file against the dataset's columns and types, as
// ehrQL does, and writes it to the output (converting the format if needed).
func (o *Options) copyDummyData(ctx context.Context, p *engine.Program) error {
	ts := &engine.TableSchema{Name: "dataset", Patient: true, Used: map[string]bool{}}
	for _, c := range p.Columns {
		ts.Columns = append(ts.Columns, qm.Column{Name: c.Name, Type: c.Type, Categories: categoriesOf(c.Series)})
	}
	path := o.abs(o.DummyDataFile)
	if engine.FormatOf(path) == "" {
		return errorf(ExitValidation, "FileValidationError: %s: the dummy data file must be .csv, .csv.gz or .arrow", o.DummyDataFile)
	}
	if err := checkHeader(path, o.DummyDataFile, p); err != nil {
		return err
	}
	t, err := engine.ReadTableFile(path, o.DummyDataFile, ts)
	if err != nil {
		return err
	}
	w, abort, err := o.outputWriter("dataset")
	if err != nil {
		return err
	}
	if err := w.Header(p.Columns); err != nil {
		abort()
		return err
	}
	for i, id := range t.IDs {
		if err := w.Row(id, t.Rows[i]); err != nil {
			abort()
			return err
		}
	}
	return w.Close()
}

// checkHeader requires every dataset column in the file (ehrQL: "Missing columns").
func checkHeader(path, display string, p *engine.Program) error {
	cols, err := engine.FileColumns(path)
	if err != nil {
		return &engine.FileValidationError{Msg: fmt.Sprintf("%s: %v", display, err)}
	}
	have := map[string]bool{}
	for _, c := range cols {
		have[c] = true
	}
	var missing []string
	for _, c := range append([]string{"patient_id"}, columnNames(p)...) {
		if !have[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return &engine.FileValidationError{Msg: fmt.Sprintf("Missing columns in dummy data file %s: %s", display, strings.Join(missing, ", "))}
	}
	return nil
}

func columnNames(p *engine.Program) []string {
	var out []string
	for _, c := range p.Columns {
		out = append(out, c.Name)
	}
	return out
}

// categoriesOf returns the values a string column can take when its definition is a
// case() of literals or a categorical column (nil when unknown).
func categoriesOf(s qm.Series) []string {
	switch x := s.(type) {
	case *qm.SelectColumn:
		if t := x.Source.Table(); t != nil {
			if c, ok := t.Column(x.Name); ok {
				return c.Categories
			}
		}
	}
	return nil
}
