package dummy

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/opensafely-core/osls/dummy/engine"
)

// CreateDummyTables is `create-dummy-tables`: it generates patients and writes each source
// table the definition uses, with only the columns it reads, to Output (a folder, or
// DIR:EXT).
func CreateDummyTables(ctx context.Context, o Options) error {
	def, err := Load(&o, "create-dummy-tables")
	if err != nil {
		return err
	}
	var p *engine.Program
	var g interface {
		Next() (*engine.PatientRows, bool)
	}
	switch {
	case def.Measures != nil:
		mp, err := compileMeasures(def.Measures)
		if err != nil {
			return err
		}
		gen, err := newMeasuresGenerator(&o, mp, def.Measures)
		if err != nil {
			return err
		}
		p, g = mp.Program, gen
	case def.Dataset != nil:
		if p, err = compileDataset(def.Dataset); err != nil {
			return err
		}
		targets, err := o.expectations(def)
		if err != nil {
			return err
		}
		gen, err := newGenerator(&o, p, def.Dataset.Population, def.Dataset.Dummy, targets...)
		if err != nil {
			return err
		}
		g = gen
	default:
		return errorf(ExitDefinition, "Did not find a variable called 'dataset' or 'measures' in %s", o.Definition)
	}
	dir, ext, ok := engine.SplitDirOutput(o.Output)
	if !ok {
		dir, ext = o.Output, "csv"
	}
	if engine.FormatOf("x."+ext) == "" {
		return errorf(ExitUsage, "%s is not a supported format; use csv, csv.gz or arrow", ext)
	}
	type tw struct {
		w    engine.Abortable
		cols []int
	}
	var ws []tw
	abortAll := func() {
		for _, t := range ws {
			t.w.Abort()
		}
	}
	for _, ts := range p.Tables {
		if ts.Inline != nil {
			continue
		}
		w, err := engine.CreateFile(o.abs(filepath.Join(dir, ts.Name+"."+ext)))
		if err != nil {
			abortAll()
			return err
		}
		var cols []int
		var oc []engine.OutColumn
		for i, c := range ts.Columns {
			if ts.Used[c.Name] {
				cols = append(cols, i)
				oc = append(oc, engine.OutColumn{Name: c.Name, Type: c.Type})
			}
		}
		if err := w.Header(oc); err != nil {
			abortAll()
			return err
		}
		ws = append(ws, tw{w: w, cols: cols})
	}
	var vals []engine.Val
	for {
		if err := ctx.Err(); err != nil {
			abortAll()
			return err
		}
		pr, ok := g.Next()
		if !ok {
			break
		}
		k := 0
		for ti, ts := range p.Tables {
			if ts.Inline != nil {
				continue
			}
			for _, row := range pr.Tables[ti] {
				vals = vals[:0]
				for _, c := range ws[k].cols {
					vals = append(vals, row[c])
				}
				if err := ws[k].w.Row(pr.ID, vals); err != nil {
					abortAll()
					return fmt.Errorf("writing dummy tables: %w", err)
				}
			}
			k++
		}
	}
	for _, t := range ws {
		if err := t.w.Close(); err != nil {
			return err
		}
	}
	return nil
}
