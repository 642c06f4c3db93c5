package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ehrqlPipelineYAML is the shape of the bundled example: an ehrQL action, a Python script
// that reads its output, and an action that needs neither.
const ehrqlPipelineYAML = `version: "4.0"
actions:
  generate_dataset:
    run: ehrql:v1 generate-dataset analysis/dataset_definition.py --output output/dataset.csv
    outputs:
      highly_sensitive:
        dataset: output/dataset.csv
  summarise:
    run: python:v2 python analysis/summarise.py output/dataset.csv
    needs: [generate_dataset]
    outputs:
      moderately_sensitive:
        table: output/summary.csv
  independent:
    run: python:v2 analysis/independent.py
    outputs:
      moderately_sensitive:
        note: output/note.txt
`

func ehrqlPipelineStudy(t *testing.T) string {
	return writeStudy(t, map[string]string{
		"project.yaml":                   ehrqlPipelineYAML,
		"analysis/dataset_definition.py": "from ehrql import create_dataset\ndataset = create_dataset()\n",
		"analysis/summarise.py":          summarisePy,
		"analysis/independent.py":        independentPy,
	})
}

// TestRunCancelEngine cancels a run while the ehrQL engine (in process) works on the first
// action of a pipeline: its partial output is discarded, its record says cancelled, and the
// actions after it are not started, as cancelled (not as failed dependencies).
func TestRunCancelEngine(t *testing.T) {
	started := make(chan struct{})
	SetEhrQLEngine(engineFunc(func(ctx context.Context, job EhrQLJob) error {
		os.MkdirAll(filepath.Join(job.WorkDir, "output"), 0o755)
		os.WriteFile(filepath.Join(job.WorkDir, job.Output), []byte("patient_id,sex\n1,F\n"), 0o644)
		fmt.Fprintln(job.Log, "generating")
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}))
	defer SetEhrQLEngine(nil)
	dir := ehrqlPipelineStudy(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan *Result, 1)
	go func() {
		res, err := Run(ctx, Options{Dir: dir, Actions: []string{"run_all"}, ContinueOnError: true})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the engine never started")
	}
	cancel()
	var res *Result
	select {
	case res = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancellation")
	}
	if res.OK() {
		t.Error("a cancelled run is not OK")
	}
	if j := res.Job("generate_dataset"); j.Status != StatusCancelled || j.Message != "Cancelled: outputs discarded" {
		t.Errorf("generate_dataset: %+v", j)
	}
	for _, id := range []string{"summarise", "independent"} {
		if j := res.Job(id); j.Status != StatusCancelled || j.Message != "Not started: the run was cancelled" || j.Record != nil {
			t.Errorf("%s: %+v", id, j)
		}
	}
	if exists(dir, "output/dataset.csv") || exists(dir, "metadata/summarise.log") {
		t.Errorf("a cancelled job's output was collected, or a job after it ran")
	}
	if rec, _ := ReadRecord(dir, "generate_dataset"); rec == nil || rec.Status != StatusCancelled || len(rec.Outputs) != 0 {
		t.Errorf("record %+v", rec)
	}
	if log := readFile(t, dir, "metadata/generate_dataset.log"); !strings.Contains(log, "generating") || !strings.Contains(log, "status: cancelled") {
		t.Errorf("log:\n%s", log)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, jobsDir)); len(entries) != 0 {
		t.Errorf("job folders left behind: %v", entries)
	}
}

// TestRunEngineFailure: an ehrQL action whose engine fails stops the script that needs it,
// and the next run retries it.
func TestRunEngineFailure(t *testing.T) {
	needPython(t)
	fail := true
	SetEhrQLEngine(engineFunc(func(ctx context.Context, job EhrQLJob) error {
		if fail {
			os.MkdirAll(filepath.Join(job.WorkDir, "output"), 0o755)
			os.WriteFile(filepath.Join(job.WorkDir, job.Output), []byte("partial"), 0o644)
			return fmt.Errorf("'patients' object has no attribute 'nope'")
		}
		os.MkdirAll(filepath.Join(job.WorkDir, "output"), 0o755)
		return os.WriteFile(filepath.Join(job.WorkDir, job.Output), []byte("patient_id,sex\n1,F\n2,M\n"), 0o644)
	}))
	defer SetEhrQLEngine(nil)
	dir := ehrqlPipelineStudy(t)
	res, log, _ := run(t, dir, Options{Actions: []string{"summarise"}})
	if j := res.Job("generate_dataset"); j.Status != StatusFailed || j.ExitCode != 1 || !strings.Contains(j.Message, "no attribute 'nope'") {
		t.Errorf("generate_dataset: %+v", j)
	}
	if j := res.Job("summarise"); j.Status != StatusDependencyFailed || j.Message != "Not starting as dependency failed: generate_dataset" {
		t.Errorf("summarise: %+v", j)
	}
	if !strings.Contains(log.String(), "error: 'patients' object has no attribute 'nope'") || exists(dir, "output/dataset.csv") {
		t.Errorf("log %s", log)
	}
	fail = false
	res, _, _ = run(t, dir, Options{Actions: []string{"summarise"}})
	if j := res.Job("generate_dataset"); j.Status != StatusSucceeded || j.Reason != "last run failed" {
		t.Errorf("generate_dataset after the fix: %+v", j)
	}
	if got := readFile(t, dir, "output/summary.csv"); got != "sex,n\nF,1\nM,1\n" {
		t.Errorf("summary.csv = %q", got)
	}
}

// TestRunEhrQLOutputEscape: an ehrQL run line whose --output leaves the study cannot run.
func TestRunEhrQLOutputEscape(t *testing.T) {
	called := false
	SetEhrQLEngine(engineFunc(func(ctx context.Context, job EhrQLJob) error { called = true; return nil }))
	defer SetEhrQLEngine(nil)
	for _, out := range []string{"../dataset.csv", "/tmp/dataset.csv", "output/../../dataset.csv"} {
		dir := writeStudy(t, map[string]string{
			"project.yaml":                   "version: \"4.0\"\nactions:\n  g:\n    run: ehrql:v1 generate-dataset analysis/dataset_definition.py --output " + out + "\n    outputs:\n      highly_sensitive:\n        dataset: output/dataset.csv\n",
			"analysis/dataset_definition.py": "",
		})
		st, _ := OpenStudy(dir) // osls check may reject the run line; run the study anyway
		res, err := RunStudy(t.Context(), st, Options{Actions: []string{"g"}})
		if err != nil {
			t.Fatal(err)
		}
		if j := res.Job("g"); j.Status != StatusFailed || !strings.Contains(j.Message, "outside the study folder") && !strings.Contains(j.Message, "absolute path") {
			t.Errorf("--output %s: %+v", out, j)
		}
	}
	if called {
		t.Error("the engine ran an action whose output leaves the study")
	}
}

// TestRunOutputEdgeCases covers the outputs a job may leave: a pattern with no file at all
// (no suggestion), a pattern that matches only a need's output, a link to a folder outside
// the study, an input that links outside the study, and the outputs of a previous run that
// this run did not produce.
func TestRunOutputEdgeCases(t *testing.T) {
	needPython(t)
	t.Run("nothing written", func(t *testing.T) {
		dir := pipelineStudy(t)
		write(t, dir, "analysis/independent.py", "print('forgot to write')\n")
		res, _, _ := run(t, dir, Options{Actions: []string{"independent"}})
		j := res.Job("independent")
		if j.Status != StatusFailed || j.Message != "No outputs found matching patterns:\n - output/note.txt" {
			t.Errorf("%+v", j)
		}
		if rec, _ := ReadRecord(dir, "independent"); rec == nil || rec.Status != StatusFailed {
			t.Errorf("record %+v", rec)
		}
	})
	t.Run("pattern matches only a need's output", func(t *testing.T) {
		dir := writeStudy(t, map[string]string{
			"project.yaml": pipelineYAML + `  copy:
    run: python:v2 analysis/copy.py
    needs: [make_data]
    outputs:
      highly_sensitive:
        data: output/data*.csv
      moderately_sensitive:
        n: output/n.txt
`,
			"analysis/make_data.py": makeDataPy, "analysis/summarise.py": summarisePy, "analysis/independent.py": independentPy,
			"analysis/copy.py": "open('output/n.txt', 'w').write('3\\n')\n",
		})
		res, log, _ := run(t, dir, Options{Actions: []string{"copy"}})
		j := res.Job("copy")
		if j.Status != StatusSucceeded {
			t.Fatalf("%+v\n%s", j, log)
		}
		var inputOnly []string
		for _, f := range j.Findings {
			if f.Kind == FindingInputOnly {
				inputOnly = append(inputOnly, f.Message)
			}
		}
		if len(inputOnly) != 1 || !strings.Contains(inputOnly[0], "matched only files this action did not write (output/data.csv)") {
			t.Errorf("findings %+v", j.Findings)
		}
		if len(j.Outputs) != 1 || j.Outputs[0].Path != "output/n.txt" {
			t.Errorf("outputs %+v", j.Outputs)
		}
	})
	t.Run("link to a folder outside", func(t *testing.T) {
		outside := t.TempDir()
		os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret"), 0o644)
		dir := pipelineStudy(t)
		write(t, dir, "analysis/independent.py", fmt.Sprintf(`import os
os.makedirs("output", exist_ok=True)
open("output/note.txt", "w").write("ok\n")
os.symlink(%q, "output/notes")
`, outside))
		// A declared pattern reaching through the link must not collect the file behind it.
		write(t, dir, "project.yaml", strings.Replace(pipelineYAML, "note: output/note.txt", "note: output/note.txt\n        more: output/notes/*.txt", 1))
		res, _, _ := run(t, dir, Options{Actions: []string{"independent"}})
		j := res.Job("independent")
		if j.Status != StatusFailed || !strings.Contains(j.Message, "output/notes/*.txt") {
			t.Errorf("%+v", j)
		}
		var escapes []string
		for _, f := range j.Findings {
			if f.Kind == FindingEscape {
				escapes = append(escapes, f.Path)
			}
		}
		if fmt.Sprint(escapes) != "[output/notes]" {
			t.Errorf("findings %+v", j.Findings)
		}
		if exists(dir, "output/notes") || exists(dir, "output/notes/secret.txt") {
			t.Errorf("the link was collected")
		}
	})
	t.Run("input links outside", func(t *testing.T) {
		outside := filepath.Join(t.TempDir(), "secret.csv")
		os.WriteFile(outside, []byte("secret"), 0o644)
		dir := pipelineStudy(t)
		if err := os.Symlink(outside, filepath.Join(dir, "analysis", "lookup.csv")); err != nil {
			t.Fatal(err)
		}
		write(t, dir, "analysis/independent.py", `import os
os.makedirs("output", exist_ok=True)
open("output/note.txt", "w").write(str(os.path.exists("analysis/lookup.csv")))
`)
		res, log, _ := run(t, dir, Options{Actions: []string{"independent"}})
		j := res.Job("independent")
		if j.Status != StatusSucceeded {
			t.Fatalf("%+v\n%s", j, log)
		}
		if got := readFile(t, dir, "output/note.txt"); got != "False" {
			t.Errorf("the job saw the file behind the link: %q", got)
		}
		found := false
		for _, f := range j.Findings {
			found = found || f.Kind == FindingEscape && f.Path == "analysis/lookup.csv" && strings.Contains(f.Message, "not copied into the job's workspace")
		}
		if !found {
			t.Errorf("findings %+v", j.Findings)
		}
	})
	t.Run("stale outputs of the previous run", func(t *testing.T) {
		dir := writeStudy(t, map[string]string{
			"project.yaml": "version: \"4.0\"\nactions:\n  parts:\n    run: python:v2 analysis/parts.py\n    outputs:\n      moderately_sensitive:\n        parts: output/part_*.txt\n",
			"analysis/parts.py": `import os, sys
os.makedirs("output", exist_ok=True)
for name in open("analysis/names.txt").read().split():
    open(f"output/part_{name}.txt", "w").write(name)
`,
			"analysis/names.txt": "a b c",
		})
		if res, log, _ := run(t, dir, Options{Actions: []string{"parts"}}); !res.OK() {
			t.Fatal(log)
		}
		write(t, dir, "output/part_b.txt", "edited by hand")
		write(t, dir, "analysis/names.txt", "c d")
		res, log, _ := run(t, dir, Options{Actions: []string{"parts"}})
		if !res.OK() {
			t.Fatal(log)
		}
		var stale []string
		for _, f := range res.Job("parts").Findings {
			if f.Kind == FindingStale {
				stale = append(stale, f.Path)
			}
		}
		// part_a is removed; part_b, changed since, is left alone.
		if fmt.Sprint(stale) != "[output/part_a.txt]" || exists(dir, "output/part_a.txt") || !exists(dir, "output/part_b.txt") ||
			!exists(dir, "output/part_c.txt") || !exists(dir, "output/part_d.txt") {
			t.Errorf("stale %v\n%s", stale, log)
		}
	})
}
