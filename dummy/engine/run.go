package engine

import (
	"context"
	"errors"
	"fmt"
)

// Source yields patients in ascending patient_id order.
type Source interface {
	Next() (*PatientRows, bool)
}

// sourceErr is the error that ended a source early, for sources that can fail.
func sourceErr(src Source) error {
	if e, ok := src.(interface{ Err() error }); ok {
		return e.Err()
	}
	return nil
}

// ErrPopulationTrueForNull is ehrQL's error for a population that would include patients
// with no data at all.
var ErrPopulationTrueForNull = errors.New("population definition must not evaluate as True for NULL inputs")

// CheckPopulation evaluates the population for a patient with no rows in any table.
func (p *Program) CheckPopulation() error {
	ev := NewEvaluator(p)
	ev.Reset(nil)
	if ev.Population() {
		return ErrPopulationTrueForNull
	}
	return nil
}

// Evaluate writes the dataset for every patient of src in the population.
// events, when given, receive the program's event tables (one writer per table, in
// order); rows counts the dataset's rows.
func Evaluate(ctx context.Context, p *Program, src Source, w Writer, events ...Writer) (rows int, err error) {
	if len(events) != 0 && len(events) != len(p.EventTables) {
		return 0, fmt.Errorf("engine: %d event table writers for %d event tables", len(events), len(p.EventTables))
	}
	if err := w.Header(p.Columns); err != nil {
		return 0, err
	}
	for i, ew := range events {
		if err := ew.Header(p.EventTables[i].Columns); err != nil {
			return 0, err
		}
	}
	ev := NewEvaluator(p)
	var buf []Val
	for i := 0; ; i++ {
		if i&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return rows, err
			}
		}
		pr, ok := src.Next()
		if !ok {
			if err := sourceErr(src); err != nil {
				return rows, err
			}
			break
		}
		ev.Reset(pr)
		if !ev.Population() {
			continue
		}
		buf = ev.Row(buf)
		if err := w.Row(pr.ID, buf); err != nil {
			return rows, err
		}
		for i, ew := range events {
			if buf, err = ev.EventRows(i, buf, func(vals []Val) error { return ew.Row(pr.ID, vals) }); err != nil {
				return rows, err
			}
		}
		rows++
	}
	return rows, nil
}

// EvalVec evaluates a compiled event-level series over the current patient's rows of its
// table.
func (e *Evaluator) EvalVec(id int) []Val {
	if !e.prog.nodes[id].event {
		v := e.scalar(id)
		return []Val{v}
	}
	return e.vec(id)
}

// IsEvent reports whether a compiled series is event-level, and its table.
func (p *Program) IsEvent(id int) (bool, int) {
	n := p.nodes[id]
	return n.event, n.table
}

// EventRows evaluates event table t (an index into Program.EventTables) for the current
// patient, calling emit with each row's values (after patient_id) in the order of the
// rows of the table's domain frame. buf is scratch space, returned for reuse.
func (e *Evaluator) EventRows(t int, buf []Val, emit func([]Val) error) ([]Val, error) {
	et := &e.prog.EventTables[t]
	if len(e.stamp) < len(e.prog.nodes) {
		e.grow()
	}
	if et.frame < 0 {
		buf = buf[:0]
		for _, c := range et.Columns {
			buf = append(buf, e.scalar(c.node))
		}
		return buf, emit(buf)
	}
	cols := make([][]Val, len(et.Columns))
	scal := make([]Val, len(et.Columns))
	for j, c := range et.Columns {
		if e.prog.nodes[c.node].event {
			cols[j] = e.vec(c.node)
		} else {
			scal[j] = e.scalar(c.node)
		}
	}
	for _, r := range e.frame(et.frame) {
		buf = buf[:0]
		for j := range et.Columns {
			if cols[j] != nil {
				buf = append(buf, cols[j][r])
			} else {
				buf = append(buf, scal[j])
			}
		}
		if err := emit(buf); err != nil {
			return buf, err
		}
	}
	return buf, nil
}
