package runner

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func run(t *testing.T, dir string, o Options) (*Result, *syncBuffer, []Event) {
	t.Helper()
	var log syncBuffer
	var events []Event
	o.Dir = dir
	o.Log = &log
	o.Progress = func(e Event) { events = append(events, e) }
	res, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	return res, &log, events
}

func TestRunPipeline(t *testing.T) {
	needPython(t)
	dir := pipelineStudy(t)
	res, log, events := run(t, dir, Options{Actions: []string{"summarise"}})
	if !res.OK() {
		t.Fatalf("run failed: %+v %+v\n%s", res.Job("make_data"), res.Job("summarise"), log)
	}
	if got := readFile(t, dir, "output/summary.csv"); got != "sex,n\nF,2\nM,1\n" {
		t.Errorf("summary.csv = %q", got)
	}
	if !strings.Contains(readFile(t, dir, "metadata/summarise.log"), "status_message: Completed successfully") {
		t.Errorf("log trailer missing")
	}
	rec, err := ReadRecord(dir, "summarise")
	if err != nil || rec == nil {
		t.Fatal(rec, err)
	}
	if rec.Status != StatusSucceeded || rec.ExitCode != 0 || len(rec.Outputs) != 1 || rec.Outputs[0].Path != "output/summary.csv" ||
		len(rec.Outputs[0].SHA256) != 64 || len(rec.Inputs) != 1 || rec.Inputs[0].Action != "make_data" ||
		len(rec.Code) != 1 || rec.Code[0].Path != "analysis/summarise.py" {
		t.Errorf("record: %+v", rec)
	}
	// The pipeline's moderately_sensitive table has no patient_id, so no level 4 findings;
	// make_data's file has one, but it is highly_sensitive. The table's unredacted counts
	// are disclosure findings (TestRunDisclosure).
	for _, j := range res.Jobs {
		for _, f := range j.Findings {
			if f.Kind != FindingDisclosure || j.Action != "summarise" {
				t.Errorf("%s: unexpected finding %+v", j.Action, f)
			}
		}
	}
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, string(e.Kind)+":"+e.Action)
	}
	if want := "[planned:make_data planned:summarise started:make_data finished:make_data started:summarise finished:summarise]"; fmt.Sprint(kinds) != want {
		t.Errorf("events %v", kinds)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, jobsDir)); len(entries) != 0 {
		t.Errorf("job folders left behind: %v", entries)
	}

	// Second time: make_data is skipped, summarise (named) runs again.
	res, _, _ = run(t, dir, Options{Actions: []string{"summarise"}})
	if j := res.Job("make_data"); j.Status != StatusSkipped || !strings.HasPrefix(j.Reason, "up to date") {
		t.Errorf("make_data: %+v", j)
	}
	// run_all: all up to date except independent.
	res, _, _ = run(t, dir, Options{Actions: []string{"run_all"}})
	if res.Job("summarise").Status != StatusSkipped || res.Job("independent").Status != StatusSucceeded {
		t.Errorf("run_all: %+v %+v", res.Job("summarise"), res.Job("independent"))
	}
	// Changing the script re-runs it under run_all.
	write(t, dir, "analysis/make_data.py", makeDataPy+"# tweak\n")
	res, _, _ = run(t, dir, Options{Actions: []string{"run_all"}})
	if j := res.Job("make_data"); j.Status != StatusSucceeded || j.Reason != "code changed: analysis/make_data.py" {
		t.Errorf("make_data: %+v", j)
	}
	if j := res.Job("summarise"); j.Status != StatusSucceeded || j.Reason != "needs make_data, which runs first" {
		t.Errorf("summarise: %+v", j)
	}
}

func TestRunIsolation(t *testing.T) {
	needPython(t)
	// other reads a file that is an output of an action it does not need: it must not see it.
	dir := writeStudy(t, map[string]string{
		"project.yaml": pipelineYAML + `  other:
    run: python:v2 analysis/other.py
    outputs:
      moderately_sensitive:
        note: output/other.txt
`,
		"analysis/make_data.py":   makeDataPy,
		"analysis/summarise.py":   summarisePy,
		"analysis/independent.py": independentPy,
		"analysis/other.py": `import os
os.makedirs("output", exist_ok=True)
open("output/other.txt", "w").write(str(os.path.exists("output/data.csv")))
`,
		"output/data.csv": "patient_id\n1\n",
	})
	res, log, _ := run(t, dir, Options{Actions: []string{"other"}})
	if !res.OK() {
		t.Fatal(log)
	}
	if got := readFile(t, dir, "output/other.txt"); got != "False" {
		t.Errorf("the job saw another action's output: %q", got)
	}
}

func TestRunFailures(t *testing.T) {
	needPython(t)
	failing := `import sys
print("about to fail")
sys.exit(1)
`
	t.Run("failure stops dependants and, by default, the rest", func(t *testing.T) {
		dir := pipelineStudy(t)
		write(t, dir, "analysis/make_data.py", failing)
		res, log, _ := run(t, dir, Options{Actions: []string{"run_all"}})
		if res.OK() {
			t.Fatal("want failure")
		}
		j := res.Job("make_data")
		if j.Status != StatusFailed || j.ExitCode != 1 || !strings.Contains(j.Message, "Job exited with an error") {
			t.Errorf("make_data: %+v", j)
		}
		if !strings.Contains(log.String(), "about to fail") || !strings.Contains(readFile(t, dir, "metadata/make_data.log"), "about to fail") {
			t.Errorf("log: %s", log)
		}
		if s := res.Job("summarise").Status; s != StatusDependencyFailed {
			t.Errorf("summarise: %s", s)
		}
		if s := res.Job("independent").Status; s != StatusNotStarted {
			t.Errorf("independent: %s", s)
		}
		if rec, _ := ReadRecord(dir, "make_data"); rec == nil || rec.Status != StatusFailed || rec.ExitCode != 1 || len(rec.Outputs) != 0 {
			t.Errorf("record: %+v", rec)
		}
	})
	t.Run("continue on error", func(t *testing.T) {
		dir := pipelineStudy(t)
		write(t, dir, "analysis/make_data.py", failing)
		res, _, _ := run(t, dir, Options{Actions: []string{"run_all"}, ContinueOnError: true})
		if res.Job("summarise").Status != StatusDependencyFailed || res.Job("independent").Status != StatusSucceeded {
			t.Errorf("%+v %+v", res.Job("summarise"), res.Job("independent"))
		}
		if !exists(dir, "output/note.txt") || exists(dir, "output/summary.csv") {
			t.Errorf("outputs")
		}
	})
	t.Run("missing output with did-you-mean", func(t *testing.T) {
		dir := pipelineStudy(t)
		write(t, dir, "analysis/independent.py", `import os
os.makedirs("output", exist_ok=True)
open("output/notes.txt", "w").write("typo\n")
`)
		res, _, _ := run(t, dir, Options{Actions: []string{"independent"}})
		j := res.Job("independent")
		if j.Status != StatusFailed || !strings.Contains(j.Message, "No outputs found matching patterns:\n - output/note.txt") ||
			!strings.Contains(j.Message, "Did you mean to match one of these files instead?\n - output/notes.txt") {
			t.Errorf("%+v", j)
		}
		var sugg []string
		for _, f := range j.Findings {
			if f.Kind == FindingUnmatched {
				sugg = f.Suggestions
			}
		}
		if fmt.Sprint(sugg) != "[output/notes.txt]" {
			t.Errorf("suggestions %v", sugg)
		}
		if exists(dir, "output/notes.txt") {
			t.Errorf("an undeclared file was collected")
		}
	})
	t.Run("undeclared file reported, level 4 checked", func(t *testing.T) {
		dir := pipelineStudy(t)
		write(t, dir, "analysis/summarise.py", `import sys
open("output/summary.csv", "w").write("patient_id,n\n1,2\n")
open("output/extra.png", "w").write("x")
`)
		res, log, _ := run(t, dir, Options{Actions: []string{"summarise"}})
		j := res.Job("summarise")
		if j.Status != StatusSucceeded || !strings.Contains(j.Message, "1 file(s) marked as moderately_sensitive") {
			t.Fatalf("%+v\n%s", j, log)
		}
		var got []string
		for _, f := range j.Findings {
			got = append(got, string(f.Kind)+" "+f.Path+" "+f.Code)
		}
		// The patient_id column is reported once, in the job runner's words; the count of 2
		// beside it is a disclosure finding.
		if fmt.Sprint(got) != "[undeclared_file output/extra.png  level4 output/summary.csv SDC005 disclosure output/summary.csv SDC010]" {
			t.Errorf("findings %v", got)
		}
		if exists(dir, "output/extra.png") || !exists(dir, "output/summary.csv") {
			t.Errorf("collection")
		}
		if !strings.Contains(readFile(t, dir, "metadata/summarise.log"), "Invalid moderately_sensitive outputs:\n  output/summary.csv  - File has patient_id column") {
			t.Errorf("log trailer: %s", readFile(t, dir, "metadata/summarise.log"))
		}
	})
	t.Run("interpreter missing", func(t *testing.T) {
		dir := pipelineStudy(t)
		old := lookPath
		lookPath = func(string) (string, error) { return "", os.ErrNotExist }
		defer func() { lookPath = old }()
		res, _, _ := run(t, dir, Options{Actions: []string{"independent"}})
		if j := res.Job("independent"); j.Status != StatusFailed || !strings.Contains(j.Message, "Python 3 (python3), which is not installed") {
			t.Errorf("%+v", j)
		}
	})
}

func TestRunPathEscapes(t *testing.T) {
	needPython(t)
	outside := filepath.Join(t.TempDir(), "outside.txt")
	dir := pipelineStudy(t)
	write(t, dir, "analysis/independent.py", fmt.Sprintf(`import os, sys
os.makedirs("output", exist_ok=True)
open("output/note.txt", "w").write("ok\n")
open("../escape.txt", "w").write("up one\n")
open("../../../../escape4.txt", "w").write("into the study root\n")
open(%q, "w").write("absolute\n")
os.symlink("/etc/hostname", "output/link.txt")
`, outside))
	res, log, _ := run(t, dir, Options{Actions: []string{"independent"}})
	j := res.Job("independent")
	if j.Status != StatusSucceeded {
		t.Fatalf("%+v\n%s", j, log)
	}
	var got []string
	for _, f := range j.Findings {
		if f.Kind != FindingDisclosure {
			got = append(got, string(f.Kind)+" "+f.Path)
		}
	}
	want := "[path_escape escape4.txt path_escape output/link.txt path_escape ../escape.txt]"
	if fmt.Sprint(got) != want {
		t.Errorf("findings %v, want %s", got, want)
	}
	if len(j.Outputs) != 1 || j.Outputs[0].Path != "output/note.txt" {
		t.Errorf("outputs %+v", j.Outputs)
	}
	if exists(dir, "output/link.txt") || exists(dir, "escape.txt") {
		t.Errorf("escaped files were collected")
	}

	// A need's output that is a link out of the study is refused.
	dir = pipelineStudy(t)
	if err := os.MkdirAll(filepath.Join(dir, "output"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/hostname", filepath.Join(dir, "output", "data.csv")); err != nil {
		t.Fatal(err)
	}
	res, _, _ = run(t, dir, Options{Actions: []string{"summarise"}, NoNeeds: true})
	if j := res.Job("summarise"); j.Status != StatusFailed || !strings.Contains(j.Message, "outside the study") {
		t.Errorf("%+v", j)
	}

	// A declared output pattern that leaves the study never matches and fails the job.
	dir = writeStudy(t, map[string]string{
		"project.yaml": "version: \"3.0\"\nactions:\n  a:\n    run: python:v2 a.py\n    outputs:\n      highly_sensitive:\n        x: ../x.csv\n",
		"a.py":         "open('../x.csv', 'w').write('x')\n",
	})
	st, _ := OpenStudy(dir) // osls check rejects the pattern; run the study anyway
	res, err := RunStudy(t.Context(), st, Options{Actions: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	if j := res.Job("a"); j.Status != StatusFailed || !strings.Contains(j.Message, "points outside the study folder") {
		t.Errorf("%+v", j)
	}
	if exists(filepath.Dir(dir), "x.csv") {
		t.Errorf("collected outside the study")
	}
}

// alive reports whether a process exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func TestRunCancel(t *testing.T) {
	needPython(t)
	if runtime.GOOS != "linux" {
		t.Skip("checks processes through /proc")
	}
	dir := pipelineStudy(t)
	write(t, dir, "analysis/independent.py", `import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
os.makedirs("output", exist_ok=True)
open("output/note.txt", "w").write("half")
print("pids", os.getpid(), child.pid, flush=True)
time.sleep(120)
`)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var log syncBuffer
	done := make(chan *Result)
	go func() {
		res, err := Run(ctx, Options{Dir: dir, Actions: []string{"independent"}, Log: &log, KillGrace: 500 * time.Millisecond})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	var pids []int
	deadline := time.Now().Add(20 * time.Second)
	for len(pids) == 0 && time.Now().Before(deadline) {
		for _, line := range strings.Split(log.String(), "\n") {
			if f := strings.Fields(line); len(f) == 3 && f[0] == "pids" {
				for _, s := range f[1:] {
					n, _ := strconv.Atoi(s)
					pids = append(pids, n)
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(pids) != 2 {
		t.Fatalf("the script did not start: %s", log.String())
	}
	cancel()
	var res *Result
	select {
	case res = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after cancellation")
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("process %d survived the cancellation", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	j := res.Job("independent")
	if j.Status != StatusCancelled || res.OK() {
		t.Errorf("%+v", j)
	}
	if exists(dir, "output/note.txt") {
		t.Errorf("a cancelled job's output was collected")
	}
	rec, _ := ReadRecord(dir, "independent")
	if rec == nil || rec.Status != StatusCancelled || len(rec.Outputs) != 0 {
		t.Errorf("record %+v", rec)
	}
	// The next plan runs it again.
	pl, _ := NewPlan(openStudy(t, dir), PlanOptions{Actions: []string{"run_all"}})
	if s := pl.Step("independent"); !s.Run || s.Reason != "last run was cancelled" {
		t.Errorf("%+v", s)
	}
}

func TestEhrQLDummyDataFile(t *testing.T) {
	SetEhrQLEngine(nil)
	csv := "patient_id,age\n1,40\n2,50\n"
	files := map[string]string{
		"analysis/dataset_definition.py": "from ehrql import create_dataset\ndataset = create_dataset()\n",
		"analysis/dummy.csv":             csv,
	}
	project := func(out, extra string) string {
		return fmt.Sprintf("version: \"4.0\"\nactions:\n  generate_dataset:\n    run: ehrql:v1 generate-dataset analysis/dataset_definition.py %s--output %s\n    outputs:\n      highly_sensitive:\n        dataset: %s\n", extra, out, out)
	}
	t.Run("csv to csv.gz", func(t *testing.T) {
		files["project.yaml"] = project("output/dataset.csv.gz", "--dummy-data-file analysis/dummy.csv ")
		dir := writeStudy(t, files)
		res, log, _ := run(t, dir, Options{Actions: []string{"generate_dataset"}})
		j := res.Job("generate_dataset")
		if j.Status != StatusSucceeded || j.Record.Mode != "dummy-data-file" {
			t.Fatalf("%+v\n%s", j, log)
		}
		f, err := os.Open(filepath.Join(dir, "output", "dataset.csv.gz"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(gz)
		if string(b) != csv {
			t.Errorf("got %q", b)
		}
		var code []string
		for _, c := range j.Record.Code {
			code = append(code, c.Path)
		}
		if fmt.Sprint(code) != "[analysis/dataset_definition.py analysis/dummy.csv]" {
			t.Errorf("code files %v", code)
		}
	})
	t.Run("csv to arrow needs the engine", func(t *testing.T) {
		files["project.yaml"] = project("output/dataset.arrow", "--dummy-data-file analysis/dummy.csv ")
		dir := writeStudy(t, files)
		res, log, _ := run(t, dir, Options{Actions: []string{"generate_dataset"}})
		if j := res.Job("generate_dataset"); j.Status != StatusFailed || !strings.Contains(log.String(), "converting between Arrow and CSV needs the ehrQL engine") {
			t.Errorf("%+v\n%s", j, log)
		}
	})
	t.Run("no dummy data file, no engine", func(t *testing.T) {
		files["project.yaml"] = project("output/dataset.csv.gz", "")
		dir := writeStudy(t, files)
		res, _, _ := run(t, dir, Options{Actions: []string{"generate_dataset"}})
		if j := res.Job("generate_dataset"); j.Status != StatusFailed || !strings.Contains(j.Message, "the ehrQL engine is not available yet") {
			t.Errorf("%+v", j)
		}
	})
	t.Run("registered engine", func(t *testing.T) {
		files["project.yaml"] = project("output/dataset.csv", "")
		dir := writeStudy(t, files)
		var got EhrQLJob
		SetEhrQLEngine(engineFunc(func(ctx context.Context, job EhrQLJob) error {
			got = job
			os.MkdirAll(filepath.Join(job.WorkDir, "output"), 0o755)
			return os.WriteFile(filepath.Join(job.WorkDir, job.Output), []byte("patient_id\n"), 0o644)
		}))
		defer SetEhrQLEngine(nil)
		res, _, _ := run(t, dir, Options{Actions: []string{"generate_dataset"}})
		if j := res.Job("generate_dataset"); j.Status != StatusSucceeded {
			t.Errorf("%+v", j)
		}
		if got.Command != "generate-dataset" || got.Definition != "analysis/dataset_definition.py" || got.Output != "output/dataset.csv" || got.Version != "v1" {
			t.Errorf("job %+v", got)
		}
	})
}

type engineFunc func(ctx context.Context, job EhrQLJob) error

func (f engineFunc) Run(ctx context.Context, job EhrQLJob) error { return f(ctx, job) }

func TestCannotRunLocally(t *testing.T) {
	dir := writeStudy(t, map[string]string{"project.yaml": `version: "4.0"
actions:
  stata:
    run: stata-mp:v1 analysis/model.do
    outputs: {moderately_sensitive: {x: output/model.log}}
  match:
    run: matching:v1.2.4 --cases output/cases.arrow
    outputs: {highly_sensitive: {x: output/matched_cases.arrow}}
  sql:
    run: sqlrunner:v1 analysis/query.sql --output output/sql.csv
    outputs: {highly_sensitive: {x: output/sql.csv}}
`, "analysis/model.do": "", "analysis/query.sql": ""})
	st, _ := OpenStudy(dir)
	res, err := RunStudy(t.Context(), st, Options{Actions: []string{"run_all"}, ContinueOnError: true})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{
		"stata": "Stata cannot run without its OpenSAFELY image and a Stata licence",
		"match": "matching is a reusable action",
		"sql":   "sqlrunner queries the OpenSAFELY database",
	} {
		if j := res.Job(id); j.Status != StatusFailed || !strings.Contains(j.Message, want) {
			t.Errorf("%s: %+v", id, j)
		}
	}
}

func TestDocker(t *testing.T) {
	dir := pipelineStudy(t)
	st := openStudy(t, dir)
	res, err := RunStudy(t.Context(), st, Options{Actions: []string{"summarise"}, Docker: true, DryRun: true, NoNeeds: true})
	if err != nil {
		t.Fatal(err)
	}
	argv := strings.Join(res.Job("summarise").Argv, " ")
	for _, want := range []string{
		dockerBinary + " run --rm --init --name os-job-osls-summarise-",
		" --network none --mount type=bind,source=" + filepath.Join(dir, "metadata", ".osls-jobs", "summarise", "workspace") + ",target=/workspace --cpus 2 --memory 4G",
		" --env OPENSAFELY_BACKEND=expectations ghcr.io/opensafely-core/python:v2 python analysis/summarise.py output/data.csv",
	} {
		if !strings.Contains(argv, want) {
			t.Errorf("argv %q lacks %q", argv, want)
		}
	}
	fake := filepath.Join(t.TempDir(), "docker")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	old := dockerBinary
	dockerBinary = fake
	defer func() { dockerBinary = old }()
	_, err = RunStudy(t.Context(), st, Options{Actions: []string{"summarise"}, Docker: true})
	if err == nil || !strings.Contains(err.Error(), "Docker is not available") || !strings.Contains(err.Error(), "Cannot connect to the Docker daemon") {
		t.Errorf("got %v", err)
	}
}

func TestConfigJSON(t *testing.T) {
	dir := writeStudy(t, map[string]string{"project.yaml": `version: "4.0"
actions:
  a:
    run: python:v2 a.py
    config:
      n: 3
      f: 1.5
      ok: true
      name: "it's"
      list: [a, 2, null]
    outputs: {highly_sensitive: {x: output/a.csv}}
`})
	a := openStudy(t, dir).Project.ActionByID("a")
	args := runArgs(a)
	want := `{"n": 3, "f": 1.5, "ok": true, "name": "it\u0027s", "list": ["a", 2, null]}`
	if len(args) != 3 || args[1] != "--config" || args[2] != want {
		t.Errorf("got %q", args)
	}
}
