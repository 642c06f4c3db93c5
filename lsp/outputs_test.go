package lsp

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"
)

// outputsStudy has one action with a moderately_sensitive table (on disk, with a small
// count and an unrounded one) and a highly_sensitive file that is not checked.
var outputsStudy = map[string]string{
	"project.yaml": `version: '4.0'
actions:
  tabulate:
    run: python:v2 python analysis/tabulate.py
    outputs:
      highly_sensitive:
        raw: output/raw.csv
      moderately_sensitive:
        table: output/table.csv
        figure: output/figure.png
`,
	"analysis/tabulate.py": "print('hi')\n",
	"output/table.csv":     "age_band,n\n0-17,12\n18-39,3\n",
	"output/raw.csv":       "patient_id,n\n1,2\n",
}

// waitDiagsWhere waits until the diagnostics published for u satisfy ok, and returns them.
func (c *testClient) waitDiagsWhere(u, what string, ok func([]protocol.Diagnostic) bool) []protocol.Diagnostic {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		var ds []protocol.Diagnostic
		if p := c.diags[u]; p != nil {
			ds = p.Diagnostics
			if ok(ds) {
				return ds
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: no diagnostics %s; last: %s", u, what, describeDiags(ds))
		}
		waitCond(c.cond, 50*time.Millisecond)
	}
}

func hasDiagAt(ds []protocol.Diagnostic, code string, line, char uint32) bool {
	for _, d := range ds {
		if codeOf(d) == code && d.Range.Start.Line == line && d.Range.Start.Character == char {
			return true
		}
	}
	return false
}

// TestOutputFileDiagnostics opens a moderately_sensitive output and checks that its
// disclosure-control findings are placed on its cells, and follow edits, settings and
// closing.
func TestOutputFileDiagnostics(t *testing.T) {
	c := newTestClient(t, outputsStudy, clientOptions{})
	// A highly_sensitive file is not an output the checks apply to: nothing is published.
	raw := c.open("output/raw.csv", outputsStudy["output/raw.csv"])
	table := outputsStudy["output/table.csv"]
	u := c.open("output/table.csv", table)
	ds := c.waitDiags(u, 1)
	// 12 (line 1, after "0-17,") is not rounded; 3 (line 2, after "18-39,") is a small count.
	if !hasDiagAt(ds, "SDC011", 1, 5) || !hasDiagAt(ds, "SDC010", 2, 6) || len(ds) != 2 {
		t.Fatalf("table diagnostics: %s", describeDiags(ds))
	}
	for _, d := range ds {
		if codeOf(d) == "SDC010" && (d.Severity != protocol.DiagnosticSeverityError || d.Range.End.Character != 7 || !strings.Contains(string(d.Message.(protocol.String)), "redact")) {
			t.Errorf("SDC010: %+v", d)
		}
	}
	c.mu.Lock()
	_, rawShown := c.diags[raw]
	c.mu.Unlock()
	if rawShown {
		t.Errorf("diagnostics published for a highly_sensitive file")
	}

	// Settings on disk: an agreed exception for rounding, reported as a changed file.
	if err := os.WriteFile(filepath.Join(c.root, "osls.yaml"), []byte("outputs:\n  files:\n    - path: output/*.csv\n      ignore: [SDC011]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []any{
		map[string]any{"uri": c.uriOf("osls.yaml"), "type": 1},
	}})
	c.waitDiagsWhere(u, "without SDC011", func(ds []protocol.Diagnostic) bool {
		return slices.Equal(codesOf(ds), []string{"SDC010"})
	})

	// Edits are checked as typed: redacting the small count clears it.
	v := c.change(u, "age_band,n\n0-17,12\n18-39,[REDACTED]\n")
	if ds := c.waitDiags(u, v); len(ds) != 0 {
		t.Errorf("after redacting: %s", describeDiags(ds))
	}
	v = c.change(u, "age_band,n\n0-17,12\n18-39,4\n")
	if ds := c.waitDiags(u, v); !hasDiagAt(ds, "SDC010", 2, 6) {
		t.Errorf("after a new small count: %s", describeDiags(ds))
	}

	// Saving another file of the study (here, settings in an open buffer) checks it again.
	cfg := c.open("osls.yaml", "outputs:\n  files:\n    - path: output/*.csv\n      ignore: [SDC010, SDC011]\n")
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": cfg}})
	c.waitDiagsWhere(u, "after saving osls.yaml", func(ds []protocol.Diagnostic) bool { return len(ds) == 0 })

	// Closing the file clears its diagnostics.
	c.notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": cfg}})
	c.waitDiagsWhere(u, "with the settings file closed", func(ds []protocol.Diagnostic) bool { return len(ds) == 1 })
	c.notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": u}})
	c.waitDiagsWhere(u, "cleared on close", func(ds []protocol.Diagnostic) bool { return len(ds) == 0 })
}

// TestOutputProjectDiagnostics checks the findings of the outputs on disk shown on the
// output patterns of project.yaml: computed in the background, kept per file while the file
// is unchanged, never re-read while project.yaml is edited.
func TestOutputProjectDiagnostics(t *testing.T) {
	files := map[string]string{}
	for k, v := range outputsStudy {
		files[k] = v
	}
	files["output/figure.png"] = "\x89PNG\r\n\x1a\n"
	files["output/plot.png"] = "\x89PNG\r\n\x1a\n"
	files["project.yaml"] += `  plot:
    run: python:v2 python analysis/tabulate.py plot
    outputs:
      moderately_sensitive:
        figure: output/plot.png
`
	c := newTestClient(t, files, clientOptions{})
	text := files["project.yaml"]
	u := c.open("project.yaml", text)
	lines := mustLines(text)
	tablePos := positionOf(lines, strings.Index(text, "output/table.csv"))
	figurePos := positionOf(lines, strings.Index(text, "output/figure.png"))
	rawPos := positionOf(lines, strings.Index(text, "output/raw.csv"))
	ds := c.waitDiagsWhere(u, "on the output patterns", func(ds []protocol.Diagnostic) bool {
		return hasDiagAt(ds, "SDC010", tablePos.Line, tablePos.Character)
	})
	for _, d := range ds {
		switch {
		case d.Range.Start == tablePos:
			msg := string(d.Message.(protocol.String))
			if d.Severity != protocol.DiagnosticSeverityError || !strings.HasPrefix(msg, "output/table.csv: row 2") || !strings.Contains(msg, "2 disclosure-control findings") {
				t.Errorf("table pattern: %+v", d)
			}
		case d.Range.Start == rawPos:
			t.Errorf("a highly_sensitive output was checked: %+v", d)
		}
	}
	// Images need a manual review; one whose action releases no CSV needs its counts too.
	plotPos := positionOf(lines, strings.Index(text, "output/plot.png"))
	if !hasDiagAt(ds, "SDC020", figurePos.Line, figurePos.Character) || !hasDiagAt(ds, "SDC022", plotPos.Line, plotPos.Character) {
		t.Errorf("figure patterns: %s", describeDiags(ds))
	}
	reads, checks := c.server.outs.reads.Load(), c.server.outs.checks.Load()
	if reads != 3 {
		t.Errorf("%d output files read, want 3", reads)
	}

	// Typing in project.yaml places the kept findings on the new text without reading or
	// checking anything again.
	edited := "# a comment\n" + text
	var v int32
	for i := 0; i < 5; i++ {
		v = c.change(u, edited)
	}
	ds = c.waitDiags(u, v)
	if !hasDiagAt(ds, "SDC010", tablePos.Line+1, tablePos.Character) {
		t.Errorf("after an edit: %s", describeDiags(ds))
	}
	if c.server.outs.reads.Load() != reads || c.server.outs.checks.Load() != checks {
		t.Errorf("editing project.yaml re-checked the outputs")
	}

	// A changed file on disk is read again (only that one), and the diagnostic follows.
	if err := os.WriteFile(filepath.Join(c.root, "output", "table.csv"), []byte("age_band,n\n0-17,10\n18-39,[REDACTED]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []any{
		map[string]any{"uri": c.uriOf("output/table.csv"), "type": 2},
	}})
	c.waitDiagsWhere(u, "without the table's findings", func(ds []protocol.Diagnostic) bool {
		return !slices.ContainsFunc(ds, func(d protocol.Diagnostic) bool { return strings.HasPrefix(codeOf(d), "SDC01") })
	})
	if got := c.server.outs.reads.Load(); got != reads+1 {
		t.Errorf("%d reads after one file changed, want %d", got, reads+1)
	}
	// A change report for a file that did not change reads nothing.
	before := c.server.outs.checks.Load()
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []any{
		map[string]any{"uri": c.uriOf("output/table.csv"), "type": 2},
	}})
	deadline := time.Now().Add(5 * time.Second)
	for c.server.outs.checks.Load() == before {
		if time.Now().After(deadline) {
			t.Fatal("the outputs were not checked again")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := c.server.outs.reads.Load(); got != reads+1 {
		t.Errorf("%d reads after an unchanged file was reported, want %d", got, reads+1)
	}
}

// TestOutputDiagnosticsAfterRun runs an action from the editor that writes an unrounded
// table: when the run ends, its findings show on the output's pattern in project.yaml.
func TestOutputDiagnosticsAfterRun(t *testing.T) {
	needPython(t)
	files := map[string]string{
		"project.yaml": `version: '4.0'
actions:
  tabulate:
    run: python:v2 python analysis/tabulate.py
    outputs:
      moderately_sensitive:
        table: output/table.csv
`,
		"analysis/tabulate.py": `import os
os.makedirs("output", exist_ok=True)
open("output/table.csv", "w").write("sex,n\nF,13\nM,250\n")
`,
	}
	c := newTestClient(t, files, clientOptions{})
	text := files["project.yaml"]
	u := c.open("project.yaml", text)
	c.waitDiags(u, 1)
	res := runLens(c, u, "tabulate", false, "")
	if res["ok"] != true {
		t.Fatalf("run: %v", res)
	}
	pos := positionOf(mustLines(text), strings.Index(text, "output/table.csv"))
	ds := c.waitDiagsWhere(u, "after the run", func(ds []protocol.Diagnostic) bool {
		return hasDiagAt(ds, "SDC011", pos.Line, pos.Character)
	})
	// Reported once: not also as a finding of the run.
	if slices.Contains(codesOf(ds), CodeRunFinding) {
		t.Errorf("the run's findings were shown too: %s", describeDiags(ds))
	}
}
