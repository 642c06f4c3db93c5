package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opensafely-core/osls/runner"
)

// exampleStudy copies the bundled example study (examples/) into a temporary folder.
func exampleStudy(t *testing.T) string {
	t.Helper()
	return copyTree(t, filepath.Join("..", "..", "examples"))
}

// timedRun is runBinary, logging how long the run took.
func timedRun(t *testing.T, args ...string) (string, int) {
	t.Helper()
	start := time.Now()
	out, code := runBinary(t, nil, args...)
	t.Logf("osls %s: exit %d in %v", strings.Join(args, " "), code, time.Since(start).Round(time.Millisecond))
	return out, code
}

// checkSummaryCSV checks the example's moderately_sensitive table: its header, one row per
// sex the dummy data produced, and every count rounded to a multiple of 5 or redacted.
func checkSummaryCSV(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "output", "summary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n"), "\n")
	if lines[0] != "sex,patients_with_asthma" {
		t.Fatalf("summary.csv header %q:\n%s", lines[0], b)
	}
	if len(lines) < 2 {
		t.Fatalf("summary.csv has no rows:\n%s", b)
	}
	var sexes []string
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) != 2 {
			t.Errorf("summary.csv row %q", l)
			continue
		}
		if !slices.Contains([]string{"female", "male", "intersex", "unknown"}, f[0]) {
			t.Errorf("summary.csv row %q: unexpected sex", l)
		}
		sexes = append(sexes, f[0])
		if f[1] == "[REDACTED]" {
			continue
		}
		if n, err := strconv.Atoi(f[1]); err != nil || n%5 != 0 || n < 0 {
			t.Errorf("summary.csv row %q: the count is not redacted nor a multiple of 5", l)
		}
	}
	if !slices.IsSorted(sexes) || len(slices.Compact(slices.Clone(sexes))) != len(sexes) {
		t.Errorf("summary.csv rows are not one per sex, sorted: %v", sexes)
	}
}

// checkRecord reads metadata/<action>.run.json and checks it records a successful run.
func checkRecord(t *testing.T, dir, action string) *runner.Record {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "metadata", action+".run.json"))
	if err != nil {
		t.Fatalf("no run record for %s: %v", action, err)
	}
	var r runner.Record
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s.run.json: %v", action, err)
	}
	if r.Action != action || r.Status != runner.StatusSucceeded || r.ExitCode != 0 || len(r.Outputs) == 0 {
		t.Errorf("%s.run.json: %s", action, b)
	}
	for _, f := range r.Findings {
		if f.Kind == runner.FindingDisclosure || f.Kind == runner.FindingLevel4 || f.Severity == runner.SeverityError {
			t.Errorf("%s: finding %+v", action, f)
		}
	}
	log, err := os.ReadFile(filepath.Join(dir, "metadata", action+".log"))
	if err != nil || !strings.Contains(string(log), "status_message: Completed successfully") {
		t.Errorf("metadata/%s.log: %v\n%s", action, err, log)
	}
	return &r
}

// TestRunExamplePipeline runs the bundled example study end to end with the real binary:
// the ehrQL action (osls's dummy-data engine) then the Python script that reads its output
// and writes a moderately_sensitive table; then again, skipped, forced and after an edit.
func TestRunExamplePipeline(t *testing.T) {
	needPython3(t)
	dir := exampleStudy(t)

	out, code := timedRun(t, "run", "summarise", "--project-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"=> Plan\n   run  generate_dataset: never run\n   run  summarise: requested\n",
		"=> Running generate_dataset [1/2]\n",
		"=> Running summarise [2/2]: ",
		"=> generate_dataset\n   Completed successfully\n   log file: metadata/generate_dataset.log\n   outputs:\n     output/dataset.csv.gz  - highly_sensitive\n",
		"=> summarise\n   Completed successfully\n   log file: metadata/summarise.log\n   outputs:\n     output/summary.csv  - moderately_sensitive\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Rounded and redacted counts: no disclosure-control or level 4 findings, no warnings.
	for _, bad := range []string{"disclosure control", "invalid moderately_sensitive", "warning:", "error:"} {
		if strings.Contains(out, bad) {
			t.Errorf("output has %q:\n%s", bad, out)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "output", "dataset.csv.gz")); err != nil || fi.Size() == 0 {
		t.Errorf("output/dataset.csv.gz: %v", err)
	}
	checkSummaryCSV(t, dir)
	gen := checkRecord(t, dir, "generate_dataset")
	sum := checkRecord(t, dir, "summarise")
	if gen.Mode != "ehrql-engine" || sum.Mode != "local" {
		t.Errorf("modes: generate_dataset %q, summarise %q", gen.Mode, sum.Mode)
	}
	if len(sum.Inputs) != 1 || sum.Inputs[0].Path != "output/dataset.csv.gz" || sum.Inputs[0].Action != "generate_dataset" ||
		sum.Inputs[0].SHA256 != gen.Outputs[0].SHA256 {
		t.Errorf("summarise's inputs %+v, generate_dataset's outputs %+v", sum.Inputs, gen.Outputs)
	}
	if codes := func() (p []string) {
		for _, c := range gen.Code {
			p = append(p, c.Path)
		}
		return p
	}(); !slices.Contains(codes, "analysis/dataset_definition.py") || !slices.Contains(codes, "codelists/opensafely-asthma-diagnosis-snomed.csv") {
		t.Errorf("generate_dataset's code files %v", codes)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "metadata", ".osls-jobs")); len(entries) != 0 {
		t.Errorf("job folders left behind: %v", entries)
	}
	history, _ := os.ReadFile(filepath.Join(dir, "metadata", "osls-runs.jsonl"))
	if n := strings.Count(string(history), "\n"); n != 2 {
		t.Errorf("run history has %d entries:\n%s", n, history)
	}

	// Again: the need is up to date and skipped, with the reason; the named action runs.
	out, code = timedRun(t, "run", "summarise", "--project-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !regexp.MustCompile(`(?m)^   skip generate_dataset: up to date \(ran successfully [0-9-]+ [0-9:]+; outputs present, code and inputs unchanged\)\n   run  summarise: requested\n`).MatchString(out) ||
		strings.Contains(out, "=> Running generate_dataset") || !strings.Contains(out, "=> Running summarise [1/1]") {
		t.Errorf("second run:\n%s", out)
	}
	checkSummaryCSV(t, dir)
	// run_all: nothing to do.
	out, code = timedRun(t, "run", "run_all", "--project-dir", dir)
	if code != 0 || !strings.Contains(out, "=> All actions already completed successfully") {
		t.Errorf("run_all when up to date: exit %d\n%s", code, out)
	}

	// Forced: both run again, and the dummy data is the same.
	out, code = timedRun(t, "run", "-f", "summarise", "--project-dir", dir)
	if code != 0 || !strings.Contains(out, "   run  generate_dataset: --force-run-dependencies\n   run  summarise: requested\n") ||
		!strings.Contains(out, "=> Running generate_dataset [1/2]") || !strings.Contains(out, "=> Running summarise [2/2]") {
		t.Errorf("forced: exit %d\n%s", code, out)
	}
	if again := checkRecord(t, dir, "generate_dataset"); again.Outputs[0].SHA256 != gen.Outputs[0].SHA256 {
		t.Errorf("the dummy data changed between runs")
	}

	// Editing the script: it re-runs under run_all because its code changed; its need does not.
	script := filepath.Join(dir, "analysis", "summarise.py")
	b, _ := os.ReadFile(script)
	if err := os.WriteFile(script, append(b, []byte("print('summarised')\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = timedRun(t, "run", "run_all", "--project-dir", dir)
	if code != 0 || !strings.Contains(out, "   skip generate_dataset: up to date") ||
		!strings.Contains(out, "   run  summarise: code changed: analysis/summarise.py\n") || !strings.Contains(out, "summarised\n") {
		t.Errorf("after editing the script: exit %d\n%s", code, out)
	}
	checkSummaryCSV(t, dir)

	// Editing the dataset definition re-runs it, and then the script that needs it.
	def := filepath.Join(dir, "analysis", "dataset_definition.py")
	b, _ = os.ReadFile(def)
	os.WriteFile(def, append(b, []byte("# edited\n")...), 0o644)
	out, code = timedRun(t, "run", "run_all", "--project-dir", dir)
	if code != 0 || !strings.Contains(out, "   run  generate_dataset: code changed: analysis/dataset_definition.py\n   run  summarise: needs generate_dataset, which runs first\n") {
		t.Errorf("after editing the dataset definition: exit %d\n%s", code, out)
	}
}

// TestRunExampleFailures breaks the example study in the ways a user would: a dataset
// definition that does not evaluate, a script that fails, a script that writes its table
// under another name, and a deleted output.
func TestRunExampleFailures(t *testing.T) {
	needPython3(t)
	t.Run("ehrQL action fails", func(t *testing.T) {
		dir := exampleStudy(t)
		def := filepath.Join(dir, "analysis", "dataset_definition.py")
		b, _ := os.ReadFile(def)
		os.WriteFile(def, []byte(strings.Replace(string(b), "patients.sex", "patients.no_such_column", 1)), 0o644)
		out, code := timedRun(t, "run", "summarise", "--project-dir", dir)
		if code != 1 || !strings.Contains(out, "=> generate_dataset\n   Job exited with an error") ||
			!strings.Contains(out, "no_such_column") || !strings.Contains(out, "=> summarise\n   Not starting as dependency failed: generate_dataset") {
			t.Errorf("exit %d\n%s", code, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "output", "dataset.csv.gz")); err == nil {
			t.Errorf("a failed action left its output")
		}
		// The next run tries it again, saying why.
		os.WriteFile(def, b, 0o644)
		out, code = timedRun(t, "run", "summarise", "--project-dir", dir)
		if code != 0 || !strings.Contains(out, "   run  generate_dataset: last run failed\n") {
			t.Errorf("after the fix: exit %d\n%s", code, out)
		}
	})
	t.Run("script fails", func(t *testing.T) {
		dir := exampleStudy(t)
		os.WriteFile(filepath.Join(dir, "analysis", "summarise.py"), []byte("import sys\nsys.exit('no asthma today')\n"), 0o644)
		out, code := timedRun(t, "run", "summarise", "--project-dir", dir)
		if code != 1 || !strings.Contains(out, "no asthma today") || !strings.Contains(out, "=> summarise\n   Job exited with an error (exit code 1)") ||
			!strings.Contains(out, "=> generate_dataset\n   Completed successfully") {
			t.Errorf("exit %d\n%s", code, out)
		}
		if log, _ := os.ReadFile(filepath.Join(dir, "metadata", "summarise.log")); !strings.Contains(string(log), "no asthma today") || !strings.Contains(string(log), "status: failed") {
			t.Errorf("summarise.log:\n%s", log)
		}
	})
	t.Run("output under another name", func(t *testing.T) {
		dir := exampleStudy(t)
		script := filepath.Join(dir, "analysis", "summarise.py")
		b, _ := os.ReadFile(script)
		os.WriteFile(script, []byte(strings.Replace(string(b), `"output/summary.csv"`, `"output/summaries.csv"`, 1)), 0o644)
		out, code := timedRun(t, "run", "summarise", "--project-dir", dir)
		if code != 1 || !strings.Contains(out, "No outputs found matching patterns:\n    - output/summary.csv\n   Did you mean to match one of these files instead?\n    - output/summaries.csv") {
			t.Errorf("exit %d\n%s", code, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "output", "summaries.csv")); err == nil {
			t.Errorf("the undeclared file was kept")
		}
	})
	t.Run("undeclared file and escape", func(t *testing.T) {
		dir := exampleStudy(t)
		script := filepath.Join(dir, "analysis", "summarise.py")
		b, _ := os.ReadFile(script)
		os.WriteFile(script, append(b, []byte("open('output/extra.csv', 'w').write('x\\n')\nopen('../escaped.txt', 'w').write('x\\n')\n")...), 0o644)
		out, code := timedRun(t, "run", "summarise", "--project-dir", dir)
		if code != 0 || !strings.Contains(out, "   warning: output/extra.csv was written by the action but is not a declared output; it was not kept") ||
			!strings.Contains(out, "   warning: the action wrote ../escaped.txt, outside its workspace; it was not collected") {
			t.Errorf("exit %d\n%s", code, out)
		}
		for _, p := range []string{"output/extra.csv", "escaped.txt", "../escaped.txt"} {
			if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
				t.Errorf("%s was kept", p)
			}
		}
	})
	t.Run("deleted output", func(t *testing.T) {
		dir := exampleStudy(t)
		if out, code := timedRun(t, "run", "summarise", "--project-dir", dir); code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		os.Remove(filepath.Join(dir, "output", "dataset.csv.gz"))
		out, code := timedRun(t, "run", "summarise", "--project-dir", dir)
		if code != 0 || !strings.Contains(out, "   run  generate_dataset: output missing: output/dataset.csv.gz\n") {
			t.Errorf("exit %d\n%s", code, out)
		}
		// Without its needs, a missing input is a failure that says what to do.
		os.Remove(filepath.Join(dir, "output", "dataset.csv.gz"))
		out, code = timedRun(t, "run", "summarise", "--no-needs", "--project-dir", dir)
		if code != 1 || !strings.Contains(out, "needs generate_dataset, which has no outputs in the study: run it first") {
			t.Errorf("--no-needs: exit %d\n%s", code, out)
		}
	})
}

// TestRunExampleCancel interrupts osls run (Ctrl-C) while the example's script runs: the
// script's process stops, its outputs are discarded, the exit status is 1, the record says
// cancelled, and the next run_all runs it again for that reason.
func TestRunExampleCancel(t *testing.T) {
	needPython3(t)
	if runtime.GOOS != "linux" {
		t.Skip("checks processes through /proc")
	}
	dir := exampleStudy(t)
	os.WriteFile(filepath.Join(dir, "analysis", "summarise.py"), []byte(`import os, time
open("output/summary.csv", "w").write("sex,patients_with_asthma\n")
print("sleeping", os.getpid(), flush=True)
time.sleep(120)
`), 0o644)
	cmd := exec.Command(builtOSLS(t), "run", "summarise", "--project-dir", dir)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait(); pw.Close() }()
	var out strings.Builder
	pid := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			var n int
			if _, err := fmt.Sscanf(sc.Text(), "sleeping %d", &n); err == nil {
				pid <- n
			}
		}
		close(pid)
	}()
	var child int
	select {
	case child = <-pid:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the script did not start")
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-waited:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		syscall.Kill(child, syscall.SIGKILL)
		t.Fatal("osls run did not stop after Ctrl-C")
	}
	for range pid {
	}
	t.Logf("run and cancel took %v", time.Since(start).Round(time.Millisecond))
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("exit: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "=> summarise\n   Cancelled: outputs discarded") || !strings.Contains(out.String(), "=> generate_dataset\n   Completed successfully") {
		t.Errorf("output:\n%s", out.String())
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child)); err == nil && !strings.Contains(string(b), ") Z") {
		t.Errorf("the script's process %d survived", child)
		syscall.Kill(child, syscall.SIGKILL)
	}
	if _, err := os.Stat(filepath.Join(dir, "output", "summary.csv")); err == nil {
		t.Errorf("a cancelled action's output was kept")
	}
	b, _ := os.ReadFile(filepath.Join(dir, "metadata", "summarise.run.json"))
	var r runner.Record
	if json.Unmarshal(b, &r); r.Status != runner.StatusCancelled {
		t.Errorf("record: %s", b)
	}
	os.WriteFile(filepath.Join(dir, "analysis", "summarise.py"), []byte("open('output/summary.csv', 'w').write('sex,patients_with_asthma\\n')\n"), 0o644)
	// The code changed too, but a cancelled run is the first reason.
	o, code := timedRun(t, "run", "run_all", "--project-dir", dir)
	if code != 0 || !strings.Contains(o, "   skip generate_dataset: up to date") || !strings.Contains(o, "   run  summarise: last run was cancelled\n") {
		t.Errorf("after the cancellation: exit %d\n%s", code, o)
	}
}
