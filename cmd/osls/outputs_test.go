package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const outputsStudy = "testdata/outputs/study"

// TestOutputsCheckGolden runs `osls outputs check` on a study with outputs on disk in every
// format, and the release-request summary.
func TestOutputsCheckGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"outputs.text", nil},
		{"outputs.json", []string{"--format", "json"}},
		{"outputs.github", []string{"--format", "github"}},
		{"outputs.sarif", []string{"--format", "sarif"}},
		{"outputs.summary.md", []string{"--summary"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			args := append([]string{"outputs", "check", "--project-dir", outputsStudy}, tc.args...)
			out, code := runCLI(t, args...)
			if code != exitFindings {
				t.Errorf("exit %d, want %d\n%s", code, exitFindings, out)
			}
			out = strings.ReplaceAll(out, osslsVersion(), "VERSION")
			golden(t, tc.golden, out)
		})
	}
}

func TestOutputsCheckJSONShape(t *testing.T) {
	out, _ := runCLI(t, "outputs", "check", "--project-dir", outputsStudy, "--format", "json", "describe")
	var doc struct {
		Diagnostics []jsonDiag `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(out[strings.IndexByte(out, '{'):]), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, d := range doc.Diagnostics {
		if !strings.HasPrefix(d.File, "output/table_") && d.File != "output/plot.png" {
			t.Errorf("a file of another action was checked: %s", d.File)
		}
		if d.Code == "SDC010" && (d.Range.Start.Line != 2 || d.Range.Start.Column != 3) {
			t.Errorf("SDC010 at %+v, want line 2 column 3", d.Range.Start)
		}
	}
}

func TestOutputsCheckExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, code := runCLI(t, "outputs", "check", "--project-dir", dir); code != exitUsage {
		t.Errorf("no project.yaml: exit %d", code)
	}
	write("project.yaml", "version: '4.0'\nactions:\n  a:\n    run: python:v2 python a.py\n    outputs:\n      moderately_sensitive:\n        t: output/t.csv\n")
	write("output/t.csv", "group,n\nx,10\ny,15\n")
	if out, code := runCLI(t, "outputs", "check", "--project-dir", dir); code != exitOK || out != "" {
		t.Errorf("clean outputs: exit %d\n%s", code, out)
	}
	if out, code := runCLI(t, "outputs", "check", "--project-dir", dir, "nope"); code != exitUsage {
		t.Errorf("unknown action: exit %d\n%s", code, out)
	}
	if _, code := runCLI(t, "outputs", "check", "--project-dir", dir, "--format", "xml"); code != exitUsage {
		t.Errorf("bad format: exit %d", code)
	}
	// Warnings alone do not fail.
	write("output/t.csv", "group,n\nx,12\ny,15\n")
	if out, code := runCLI(t, "outputs", "check", "--project-dir", dir); code != exitOK || !strings.Contains(out, "SDC011") {
		t.Errorf("warning only: exit %d\n%s", code, out)
	}
	write("output/t.csv", "group,n\nx,3\ny,15\n")
	if _, code := runCLI(t, "outputs", "check", "--project-dir", dir); code != exitFindings {
		t.Errorf("small count: exit %d", code)
	}
	// osls.yaml can say the column is not a count.
	write("osls.yaml", "outputs:\n  not_count_columns: [n]\n")
	if out, code := runCLI(t, "outputs", "check", "--project-dir", dir); code != exitOK {
		t.Errorf("not_count_columns: exit %d\n%s", code, out)
	}
	write("osls.yaml", "outputs:\n  count_colums: [n]\n")
	if out, code := runCLI(t, "outputs", "check", "--project-dir", dir); code != exitUsage {
		t.Errorf("bad osls.yaml: exit %d\n%s", code, out)
	}
}

func TestSchemaOutputsConfig(t *testing.T) {
	out, code := runCLI(t, "schema", "outputs-config")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "count_columns") || !strings.Contains(out, "midpoint6_columns") {
		t.Errorf("schema lacks the column settings:\n%s", out)
	}
	if _, code := runCLI(t, "schema", "project-yaml"); code != exitOK {
		t.Errorf("project-yaml: exit %d", code)
	}
}
