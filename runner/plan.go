package runner

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/opensafely-core/osls/analysis"
)

// RunAll is the pseudo-action that stands for every action of the project.
const RunAll = "run_all"

// Plan is the list of actions a run reaches, needs before the actions that need them, each
// with the decision to run it or not and why.
type Plan struct {
	Steps []*Step
}

// Step is one action of a Plan.
type Step struct {
	Action    *analysis.Action
	ID        string
	Run       bool   // the action will run
	Reason    string // why it runs, or why it is skipped
	Requested bool   // named on the command line (not reached through needs, not run_all)
	Needs     []string
}

// ToRun returns the steps that run.
func (p *Plan) ToRun() []*Step {
	var out []*Step
	for _, s := range p.Steps {
		if s.Run {
			out = append(out, s)
		}
	}
	return out
}

// Step returns the step of an action, or nil.
func (p *Plan) Step(id string) *Step {
	for _, s := range p.Steps {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// UnknownActionError is returned for a requested action that project.yaml does not have.
type UnknownActionError struct {
	Name  string
	Valid []string
}

func (e *UnknownActionError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Action '%s' not found in project.yaml", e.Name)
	if s := closest(e.Name, e.Valid, 1); len(s) > 0 && editDistance(e.Name, s[0]) <= max(2, len(e.Name)/3) {
		fmt.Fprintf(&b, " (did you mean %s?)", s[0])
	}
	b.WriteString("\nValid action names are:\n  run_all (runs all actions in project)")
	for _, v := range e.Valid {
		b.WriteString("\n  " + v)
	}
	return b.String()
}

// PlanOptions are the Options fields that planning reads.
type PlanOptions struct {
	Actions              []string
	ForceRunDependencies bool
	NoNeeds              bool
}

// NewPlan decides which actions to run. Actions named explicitly always run; under run_all
// and for needs an action is skipped when its last run succeeded, its outputs are all there,
// its run line and code files are unchanged, the outputs of its needs are those it consumed
// last time, and none of its needs runs now. The reason for each decision is kept.
func NewPlan(st *Study, o PlanOptions) (*Plan, error) {
	if len(o.Actions) == 0 {
		return nil, fmt.Errorf("At least one action must be supplied")
	}
	var valid []string
	for _, a := range st.Project.Actions {
		valid = append(valid, a.ID)
	}
	var roots []*analysis.Action
	requested := map[string]bool{}
	for _, name := range o.Actions {
		if name == RunAll {
			roots = append(roots, st.Project.Actions...)
			continue
		}
		a := st.Project.ActionByID(name)
		if a == nil {
			return nil, &UnknownActionError{Name: name, Valid: valid}
		}
		requested[name] = true
		roots = append(roots, a)
	}
	for _, a := range st.Project.Actions {
		if err := validActionID(a.ID); err != nil && (requested[a.ID] || contains(o.Actions, RunAll)) {
			return nil, err
		}
	}
	pl := &Plan{}
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(a *analysis.Action, stack []string, root bool) error
	visit = func(a *analysis.Action, stack []string, root bool) error {
		switch state[a.ID] {
		case 2:
			return nil
		case 1:
			return fmt.Errorf("action `%s` has a circular dependency in `needs`: %s -> %s", a.ID, strings.Join(stack, " -> "), a.ID)
		}
		state[a.ID] = 1
		stack = append(stack, a.ID)
		if !o.NoNeeds || !root {
			for _, n := range a.NeedIDs() {
				na := st.Project.ActionByID(n)
				if na == nil {
					return fmt.Errorf("action `%s` references an unknown action in its `needs` list: %s", a.ID, n)
				}
				if o.NoNeeds {
					continue
				}
				if err := visit(na, stack, false); err != nil {
					return err
				}
			}
		}
		state[a.ID] = 2
		if !root && o.NoNeeds {
			return nil
		}
		s := &Step{Action: a, ID: a.ID, Requested: requested[a.ID], Needs: a.NeedIDs()}
		s.Run, s.Reason = decide(st, pl, s, o.ForceRunDependencies)
		pl.Steps = append(pl.Steps, s)
		return nil
	}
	for _, a := range roots {
		if err := visit(a, nil, true); err != nil {
			return nil, err
		}
	}
	return pl, nil
}

// decide says whether a step runs, and why.
func decide(st *Study, pl *Plan, s *Step, force bool) (bool, string) {
	if s.Requested {
		return true, "requested"
	}
	if force {
		return true, "--force-run-dependencies"
	}
	a := s.Action
	r := st.record(a.ID)
	switch {
	case r == nil:
		return true, "never run"
	case r.Status == StatusRunning:
		return true, "last run did not finish"
	case r.Status == StatusCancelled:
		return true, "last run was cancelled"
	case r.Status != StatusSucceeded:
		return true, "last run failed"
	case r.Run != a.Run:
		return true, "run command changed"
	}
	st.scan()
	for _, out := range r.Outputs {
		if _, ok := st.files[out.Path]; !ok {
			return true, "output missing: " + out.Path
		}
	}
	if why := codeChange(st, a, r); why != "" {
		return true, why
	}
	for _, n := range s.Needs {
		if ns := pl.Step(n); ns != nil && ns.Run {
			return true, "needs " + n + ", which runs first"
		}
	}
	if why := inputChange(st, a, r); why != "" {
		return true, why
	}
	return false, "up to date (ran successfully " + r.Finished.Local().Format(time.DateTime) + "; outputs present, code and inputs unchanged)"
}

// codeChange compares the action's code files with those its record hashed.
func codeChange(st *Study, a *analysis.Action, r *Record) string {
	old := map[string]string{}
	for _, c := range r.Code {
		old[c.Path] = c.SHA256
	}
	now := st.codeFiles(a)
	var changed []string
	for _, p := range now {
		fr, err := fileRecord(st.Dir, p)
		if err != nil || old[p] != fr.SHA256 {
			changed = append(changed, p)
		}
		delete(old, p)
	}
	for p := range old {
		changed = append(changed, p)
	}
	if len(changed) == 0 {
		return ""
	}
	sort.Strings(changed)
	return "code changed: " + strings.Join(changed, ", ")
}

// inputChange compares the outputs of the action's needs with those it consumed last time.
func inputChange(st *Study, a *analysis.Action, r *Record) string {
	old := map[string]string{}
	for _, in := range r.Inputs {
		old[in.Path] = in.SHA256
	}
	var changed []string
	for _, n := range a.NeedIDs() {
		na := st.Project.ActionByID(n)
		if na == nil {
			continue
		}
		for _, f := range st.outputsOf(na) {
			fr, err := fileRecord(st.Dir, f.Path)
			if err != nil || old[f.Path] != fr.SHA256 {
				changed = append(changed, f.Path)
			}
			delete(old, f.Path)
		}
	}
	for p := range old {
		changed = append(changed, p)
	}
	if len(changed) == 0 {
		return ""
	}
	sort.Strings(changed)
	return "inputs changed since the last run: " + strings.Join(changed, ", ")
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
