package lsp

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"

	"github.com/opensafely-core/osls/analysis"
)

func needPython(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is not installed; CI must provide it")
		}
		t.Skip("python3 is not installed")
	}
}

var runStudy = map[string]string{
	"project.yaml": `version: '4.0'
actions:
  make_table:
    run: python:v2 python analysis/make_table.py
    outputs:
      moderately_sensitive:
        table: output/table.csv
  misnamed:
    run: python:v2 python analysis/make_table.py again
    outputs:
      moderately_sensitive:
        table: output/tabel.csv
  slow:
    run: python:v2 python analysis/slow.py
    outputs:
      moderately_sensitive:
        done: output/done.txt
`,
	"analysis/make_table.py": `import os
os.makedirs("output", exist_ok=True)
print("writing the table")
with open("output/table.csv", "w") as f:
    f.write("n\n10\n")
`,
	"analysis/slow.py": "import time\nprint('sleeping', flush=True)\ntime.sleep(60)\n",
}

// runLens executes the run command of an action as its code lens would.
func runLens(c *testClient, u, action string, withNeeds bool, token string) map[string]any {
	cmd := CommandRunAction
	if withNeeds {
		cmd = CommandRunActionWithNeeds
	}
	params := map[string]any{"command": cmd, "arguments": []any{u, action}}
	if token != "" {
		params["workDoneToken"] = token
	}
	var res map[string]any
	ctxErr := c.tryCall("workspace/executeCommand", params, &res)
	if ctxErr != nil {
		c.t.Errorf("run %s: %v", action, ctxErr)
	}
	return res
}

func TestRunAction(t *testing.T) {
	needPython(t)
	c := newTestClient(t, runStudy, clientOptions{progress: true})
	text := runStudy["project.yaml"]
	u := c.open("project.yaml", text)
	c.waitDiags(u, 1)

	res := runLens(c, u, "make_table", false, "")
	if res["ok"] != true || !strings.Contains(res["message"].(string), "make_table") {
		t.Fatalf("run: %v", res)
	}
	if b, err := os.ReadFile(filepath.Join(c.root, "output", "table.csv")); err != nil || string(b) != "n\n10\n" {
		t.Errorf("output: %q %v", b, err)
	}
	c.mu.Lock()
	var kinds, titles []string
	for _, v := range c.progress {
		kinds = append(kinds, v["kind"].(string))
		if v["kind"] == "begin" {
			titles = append(titles, v["title"].(string))
		}
	}
	var logged bool
	for _, n := range c.notes {
		if strings.HasPrefix(n, MethodRunLog) && strings.Contains(n, "writing the table") && strings.Contains(n, `"action":"make_table"`) {
			logged = true
		}
	}
	c.mu.Unlock()
	if !slices.Equal(titles, []string{"Running make_table", "make_table"}) || kinds[len(kinds)-1] != "end" || slices.Index(kinds, "end") == len(kinds)-1 {
		t.Errorf("progress: kinds %v, titles %v", kinds, titles)
	}
	if !logged {
		t.Errorf("the log was not streamed: %v", c.notes)
	}

	// A pattern that matches nothing: a diagnostic on that output's path.
	res = runLens(c, u, "misnamed", false, "")
	if res["ok"] != false {
		t.Errorf("run of misnamed: %v", res)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		var ds []protocol.Diagnostic
		c.mu.Lock()
		if p := c.diags[u]; p != nil {
			ds = p.Diagnostics
		}
		c.mu.Unlock()
		want := positionOf(mustLines(text), strings.Index(text, "output/tabel.csv"))
		found := false
		for _, d := range ds {
			if codeOf(d) == CodeRunUnmatched && d.Range.Start == want {
				found = true
			}
		}
		if found && slices.Contains(codesOf(ds), CodeRunFailed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s on the output path: %s", CodeRunUnmatched, describeDiags(ds))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunActionCancel(t *testing.T) {
	needPython(t)
	c := newTestClient(t, runStudy, clientOptions{progress: true})
	u := c.open("project.yaml", runStudy["project.yaml"])
	c.waitDiags(u, 1)
	done := make(chan map[string]any, 1)
	go func() { done <- runLens(c, u, "slow", false, "run-slow") }()
	// Wait for the job to start, then cancel through its progress token.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		started := false
		for _, n := range c.notes {
			started = started || strings.Contains(n, "sleeping")
		}
		c.mu.Unlock()
		if started {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the slow action never started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.notify("window/workDoneProgress/cancel", map[string]any{"token": "run-slow"})
	select {
	case res := <-done:
		if res["cancelled"] != true || res["ok"] != false {
			raw, _ := json.Marshal(res)
			t.Errorf("cancelled run: %s", raw)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the run was not cancelled")
	}
}

func mustLines(text string) *analysis.Lines { return analysis.NewLines([]byte(text)) }
