package runner

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opensafely-core/osls/analysis"
)

var matchOutput = analysis.MatchOutput

// allDone makes the pipeline study look fully and successfully run.
func allDone(t *testing.T, dir string) {
	write(t, dir, "output/data.csv", "patient_id,sex\n1,F\n")
	write(t, dir, "output/summary.csv", "sex,n\nF,1\n")
	write(t, dir, "output/note.txt", "hello\n")
	markDone(t, dir, "make_data")
	markDone(t, dir, "summarise")
	markDone(t, dir, "independent")
}

func TestPlan(t *testing.T) {
	type want struct {
		id     string
		run    bool
		reason string // a prefix of the reason
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		actions []string
		force   bool
		noNeeds bool
		want    []want
	}{
		{"never run: needs come first", nil, []string{"summarise"}, false, false,
			[]want{{"make_data", true, "never run"}, {"summarise", true, "requested"}}},
		{"run_all in file order", nil, []string{"run_all"}, false, false,
			[]want{{"make_data", true, "never run"}, {"summarise", true, "never run"}, {"independent", true, "never run"}}},
		{"up to date need is skipped; named action runs", allDone, []string{"summarise"}, false, false,
			[]want{{"make_data", false, "up to date"}, {"summarise", true, "requested"}}},
		{"run_all skips everything up to date", allDone, []string{"run_all"}, false, false,
			[]want{{"make_data", false, "up to date"}, {"summarise", false, "up to date"}, {"independent", false, "up to date"}}},
		{"force re-runs needs", allDone, []string{"summarise"}, true, false,
			[]want{{"make_data", true, "--force-run-dependencies"}, {"summarise", true, "requested"}}},
		{"code changed", func(t *testing.T, dir string) {
			allDone(t, dir)
			write(t, dir, "analysis/make_data.py", makeDataPy+"# changed\n")
		}, []string{"run_all"}, false, false,
			[]want{{"make_data", true, "code changed: analysis/make_data.py"}, {"summarise", true, "needs make_data, which runs first"}, {"independent", false, "up to date"}}},
		{"inputs changed", func(t *testing.T, dir string) {
			allDone(t, dir)
			write(t, dir, "output/data.csv", "patient_id,sex\n1,M\n")
			markDone(t, dir, "make_data")
		}, []string{"run_all"}, false, false,
			[]want{{"make_data", false, "up to date"}, {"summarise", true, "inputs changed since the last run: output/data.csv"}, {"independent", false, "up to date"}}},
		{"outputs missing", func(t *testing.T, dir string) {
			allDone(t, dir)
			os.Remove(filepath.Join(dir, "output", "data.csv"))
		}, []string{"summarise"}, false, false,
			[]want{{"make_data", true, "output missing: output/data.csv"}, {"summarise", true, "requested"}}},
		{"last run failed", func(t *testing.T, dir string) {
			allDone(t, dir)
			r, _ := ReadRecord(dir, "make_data")
			r.Status = StatusFailed
			writeRecord(dir, r)
		}, []string{"summarise"}, false, false,
			[]want{{"make_data", true, "last run failed"}, {"summarise", true, "requested"}}},
		{"interrupted run", func(t *testing.T, dir string) {
			allDone(t, dir)
			r, _ := ReadRecord(dir, "make_data")
			r.Status = StatusRunning
			writeRecord(dir, r)
		}, []string{"summarise"}, false, false,
			[]want{{"make_data", true, "last run did not finish"}, {"summarise", true, "requested"}}},
		{"run line changed", func(t *testing.T, dir string) {
			allDone(t, dir)
			r, _ := ReadRecord(dir, "make_data")
			r.Run = "python:v1 python analysis/make_data.py"
			writeRecord(dir, r)
		}, []string{"summarise"}, false, false,
			[]want{{"make_data", true, "run command changed"}, {"summarise", true, "requested"}}},
		{"no needs: only the named action", nil, []string{"summarise"}, false, true,
			[]want{{"summarise", true, "requested"}}},
		{"an action named twice runs once", nil, []string{"make_data", "summarise", "make_data"}, false, false,
			[]want{{"make_data", true, "requested"}, {"summarise", true, "requested"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := pipelineStudy(t)
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			pl, err := NewPlan(openStudy(t, dir), PlanOptions{Actions: tt.actions, ForceRunDependencies: tt.force, NoNeeds: tt.noNeeds})
			if err != nil {
				t.Fatal(err)
			}
			if len(pl.Steps) != len(tt.want) {
				for _, s := range pl.Steps {
					t.Logf("%s run=%v %s", s.ID, s.Run, s.Reason)
				}
				t.Fatalf("got %d steps, want %d", len(pl.Steps), len(tt.want))
			}
			for i, w := range tt.want {
				s := pl.Steps[i]
				if s.ID != w.id || s.Run != w.run || !strings.HasPrefix(s.Reason, w.reason) {
					t.Errorf("step %d: got %s run=%v %q, want %s run=%v %q…", i, s.ID, s.Run, s.Reason, w.id, w.run, w.reason)
				}
			}
		})
	}
}

func TestPlanErrors(t *testing.T) {
	dir := pipelineStudy(t)
	st := openStudy(t, dir)
	_, err := NewPlan(st, PlanOptions{Actions: []string{"sumarise"}})
	var ue *UnknownActionError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "Action 'sumarise' not found in project.yaml (did you mean summarise?)") ||
		!strings.Contains(err.Error(), "run_all (runs all actions in project)") {
		t.Errorf("unknown action: %v", err)
	}
	if _, err := NewPlan(st, PlanOptions{}); err == nil || !strings.Contains(err.Error(), "At least one action must be supplied") {
		t.Errorf("no action: %v", err)
	}
	cyc := writeStudy(t, map[string]string{"project.yaml": `version: "4.0"
actions:
  a:
    run: python:v2 a.py
    needs: [b]
    outputs: {highly_sensitive: {x: output/a.csv}}
  b:
    run: python:v2 b.py
    needs: [a]
    outputs: {highly_sensitive: {x: output/b.csv}}
`})
	if _, err := OpenStudy(cyc); err == nil {
		t.Errorf("a cycle should be a project error")
	}
	st2, _ := OpenStudy(cyc)
	if _, err := NewPlan(st2, PlanOptions{Actions: []string{"a"}}); err == nil || !strings.Contains(err.Error(), "circular") {
		t.Errorf("cycle: %v", err)
	}
}

func TestProjectErrorsStopTheRun(t *testing.T) {
	dir := writeStudy(t, map[string]string{"project.yaml": `version: "4.0"
actions:
  a:
    run: python:v2 a.py
    needs: [nope]
    outputs: {highly_sensitive: {x: output/a.csv}}
`})
	_, err := Run(t.Context(), Options{Dir: dir, Actions: []string{"a"}})
	var pe *ProjectError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "project.yaml:") {
		t.Errorf("got %v", err)
	}
}
