package engine

import (
	"context"
	"errors"
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
func Evaluate(ctx context.Context, p *Program, src Source, w Writer) (rows int, err error) {
	if err := w.Header(p.Columns); err != nil {
		return 0, err
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
