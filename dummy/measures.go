package dummy

import (
	"context"
	"path/filepath"

	"github.com/opensafely-core/osls/analysis/qm"
	"github.com/opensafely-core/osls/dummy/engine"
	"github.com/opensafely-core/osls/dummy/generate"
)

type measuresProgram struct {
	Program *engine.Program
}

func compileMeasures(m *qm.Measures) (*measuresProgram, error) {
	if m == nil || len(m.Measures) == 0 {
		return nil, errorf(ExitDefinition, "No measures defined: call measures.define_measure(...)")
	}
	p, err := engine.CompileMeasures(m)
	if err != nil {
		return nil, errorf(ExitDefinition, "%v", err)
	}
	if err := checkPermissions(p, m.Permissions); err != nil {
		return nil, err
	}
	return &measuresProgram{Program: p}, nil
}

// measuresPopulation is ehrQL's default population size for measures: 10 per
// denominator, interval and group-by column.
func measuresPopulation(m *qm.Measures) int {
	dens, groups := map[string]bool{}, map[string]bool{}
	ivs := map[[2]qm.Date]bool{}
	for _, ms := range m.Measures {
		dens[ms.Denominator.Key()] = true
		for _, iv := range ms.Intervals {
			ivs[iv] = true
		}
		for _, g := range ms.GroupBy {
			groups[g.Name] = true
		}
	}
	return 10 * len(dens) * max(1, len(ivs)) * max(1, len(groups))
}

func newMeasuresGenerator(o *Options, mp *measuresProgram, m *qm.Measures) (*generate.Generator, error) {
	oo := *o
	if oo.PopulationSize <= 0 && m.Dummy.PopulationSize <= 0 {
		oo.PopulationSize = measuresPopulation(m)
	}
	var pop qm.Series
	for _, ms := range m.Measures {
		in := ms.Denominator
		if in.Type().Kind != qm.Bool {
			in = qm.NewFunction(qm.FnGT, qm.TBool, in, qm.NewValue(int64(0), qm.TInt))
		}
		if pop == nil {
			pop = in
		} else {
			pop = qm.NewFunction(qm.FnOr, qm.TBool, pop, in)
		}
	}
	g, err := newGenerator(&oo, mp.Program, pop, m.Dummy)
	if err != nil {
		return nil, err
	}
	g.SetIntervals(mp.Program.Intervals())
	return g, nil
}

// GenerateMeasures is `generate-measures`.
func GenerateMeasures(ctx context.Context, o Options) error {
	def, err := Load(&o, "generate-measures")
	if err != nil {
		return err
	}
	if def.Measures == nil {
		return errorf(ExitDefinition, "Did not find a variable called 'measures' in measures definition file")
	}
	mp, err := compileMeasures(def.Measures)
	if err != nil {
		return err
	}
	for _, n := range mp.Program.Notes {
		o.logf("osls: note: %s", n)
	}
	var src engine.Source
	var gcols []engine.OutColumn
	var rows []engine.MeasureRow
	switch {
	case o.DummyDataFile != "":
		cats := map[string][]string{}
		for _, c := range engine.MeasureGroupColumns(mp.Program) {
			cats[c.Name] = categoriesOf(c.Series)
		}
		o.logf("osls: reading dummy data from %s", o.DummyDataFile)
		if gcols, rows, err = engine.ReadMeasuresFile(mp.Program, o.abs(o.DummyDataFile), o.DummyDataFile, cats, def.Measures.DisclosureControl); err != nil {
			return err
		}
	case o.DummyTables != "":
		ts, err := engine.LoadDummyTables(mp.Program, o.DummyTables, o.WorkDir)
		if err != nil {
			return err
		}
		defer ts.Close()
		for _, n := range ts.Notes {
			o.logf("osls: note: %s", n)
		}
		src = ts
	default:
		g, err := newMeasuresGenerator(&o, mp, def.Measures)
		if err != nil {
			return err
		}
		src = g
	}
	if src != nil {
		if gcols, rows, err = engine.EvaluateMeasures(ctx, mp.Program, src, def.Measures.DisclosureControl); err != nil {
			return err
		}
	}
	if dir, ext, ok := engine.SplitDirOutput(o.Output); ok {
		// One file per measure.
		byName := map[string][]engine.MeasureRow{}
		var names []string
		for _, ms := range def.Measures.Measures {
			names = append(names, ms.Name)
		}
		for _, r := range rows {
			byName[r.Measure] = append(byName[r.Measure], r)
		}
		for _, n := range names {
			w, err := engine.CreateFile(o.abs(filepath.Join(dir, "measure_"+n+"."+ext)))
			if err != nil {
				return err
			}
			if err := engine.WriteMeasureRows(w, gcols, byName[n]); err != nil {
				w.Abort()
				return err
			}
		}
		return nil
	}
	w, abort, err := o.outputWriter("measures")
	if err != nil {
		return err
	}
	if err := engine.WriteMeasureRows(w, gcols, rows); err != nil {
		abort()
		return err
	}
	return nil
}
