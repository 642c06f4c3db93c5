package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestNeovimExamplePipeline runs the bundled example study (examples/) from headless
// Neovim: :OslsRun on summarise alone fails for want of its need's dataset (RUN001 on
// project.yaml), then :OslsRunWithNeeds on it runs the ehrQL action and the Python script,
// writes both outputs, streams both logs, and leaves project.yaml without RUN diagnostics.
func TestNeovimExamplePipeline(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is not installed; CI must provide it")
		}
		t.Skip("python3 is not installed")
	}
	dir := studyFrom(t, filepath.Join("..", "examples"))
	type diag struct {
		Code    string `json:"code"`
		Line    int    `json:"line"`
		Message string `json:"message"`
	}
	var r struct {
		Errors   []string        `json:"errors"`
		Attached bool            `json:"attached"`
		Progress []progressValue `json:"progress"`
		Notes    []string        `json:"notifications"`
		RunLog   string          `json:"run_log"`
		Runs     []struct {
			Command string `json:"command"`
			Answer  struct {
				Error  string         `json:"error"`
				Result map[string]any `json:"result"`
			} `json:"answer"`
			Diagnostics []diag `json:"diagnostics"`
			Settled     bool   `json:"diagnostics_settled"`
		} `json:"runs"`
		Final []diag `json:"final_diagnostics"`
	}
	start := time.Now()
	nvimScript(t, "nvim_example_run_e2e.lua", dir, nil, &r)
	t.Logf("neovim session took %v", time.Since(start).Round(time.Millisecond))
	for _, e := range r.Errors {
		t.Errorf("editor script: %s", e)
	}
	if !r.Attached {
		t.Fatal("the server never attached")
	}
	if len(r.Runs) != 2 {
		t.Fatalf("got %d runs, want 2", len(r.Runs))
	}

	// :OslsRun summarise without its need: a failure shown on the action.
	first := r.Runs[0]
	if first.Answer.Error != "" || first.Answer.Result["ok"] != false ||
		!strings.Contains(first.Answer.Result["message"].(string), "needs generate_dataset, which has no outputs in the study") {
		t.Errorf("%s: %+v", first.Command, first.Answer)
	}
	if !first.Settled || !slices.ContainsFunc(first.Diagnostics, func(d diag) bool { return d.Code == "RUN001" && strings.Contains(d.Message, "generate_dataset") }) {
		t.Errorf("%s: diagnostics %+v, want RUN001 on summarise", first.Command, first.Diagnostics)
	}

	// :OslsRunWithNeeds summarise: both actions run.
	second := r.Runs[1]
	if second.Answer.Error != "" || second.Answer.Result["ok"] != true {
		t.Errorf("%s: %+v", second.Command, second.Answer)
	}
	msg, _ := second.Answer.Result["message"].(string)
	if !strings.Contains(msg, "generate_dataset: Completed successfully") || !strings.Contains(msg, "summarise: Completed successfully") {
		t.Errorf("%s: message %q", second.Command, msg)
	}
	if !second.Settled {
		t.Errorf("%s: RUN diagnostics did not clear: %+v", second.Command, second.Diagnostics)
	}
	for _, d := range r.Final {
		// No run failures left, nor disclosure findings on the rounded table (or anything else).
		t.Errorf("diagnostic after the pipeline ran: %+v", d)
	}

	for _, p := range []string{"output/dataset.csv.gz", "output/summary.csv", "metadata/generate_dataset.log", "metadata/summarise.log",
		"metadata/generate_dataset.run.json", "metadata/summarise.run.json"} {
		if fi, err := os.Stat(filepath.Join(dir, p)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "output", "summary.csv"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 || strings.TrimSpace(lines[0]) != "sex,patients_with_asthma" {
		t.Errorf("summary.csv: %q", b)
	}
	for _, l := range lines[1:] {
		f := strings.Split(strings.TrimSpace(l), ",")
		if len(f) != 2 {
			t.Errorf("summary.csv row %q", l)
			continue
		}
		if n, err := strconv.Atoi(f[1]); f[1] != "[REDACTED]" && (err != nil || n%5 != 0) {
			t.Errorf("summary.csv row %q: not rounded to 5 nor redacted", l)
		}
	}

	if strings.Contains(r.RunLog, "[] ") {
		t.Errorf("a run log line with no action:\n%s", r.RunLog)
	}
	// The run log buffer has the first run's failure, then the lines of the ehrQL action, then
	// the outcome of both actions (the script prints nothing).
	for i, want := range []string{
		"[osls] osls: needs generate_dataset, which has no outputs in the study",
		"[osls] finished: summarise: needs generate_dataset, which has no outputs in the study",
		"[generate_dataset] osls: ehrQL generate-dataset analysis/dataset_definition.py",
		"[generate_dataset] osls: generated 1000 patients",
		"[osls] finished: generate_dataset: Completed successfully; summarise: Completed successfully",
	} {
		j := strings.Index(r.RunLog, want)
		if j < 0 {
			t.Errorf("run log buffer line %d: no %q in\n%s", i, want, r.RunLog)
			break
		}
		r.RunLog = r.RunLog[j+len(want):]
	}
	var begins []string
	ends := 0
	for _, p := range r.Progress {
		switch p.Kind {
		case "begin":
			begins = append(begins, p.Title)
		case "end":
			ends++
		}
	}
	for _, want := range []string{"Running summarise", "Running summarise and its needs", "generate_dataset (1/2)", "summarise (2/2)"} {
		if !slices.Contains(begins, want) {
			t.Errorf("no progress %q: %+v", want, r.Progress)
		}
	}
	if ends != len(begins) {
		t.Errorf("%d progress begins, %d ends: %+v", len(begins), ends, r.Progress)
	}
	if !slices.ContainsFunc(r.Notes, func(s string) bool {
		return strings.Contains(s, "generate_dataset: Completed successfully") && strings.Contains(s, "summarise: Completed successfully")
	}) {
		t.Errorf("notifications: %q", r.Notes)
	}
}
