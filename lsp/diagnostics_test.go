package lsp

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

const smallProject = `version: '5.0'
actions:
  generate_dataset:
    run: ehrql:v1 generate-dataset analysis/dataset_definition.py --output output/dataset.arrow
    outputs:
      highly_sensitive:
        dataset: output/dataset.arrow
  analyse:
    run: python:v2 python analysis/analyse.py
    needs: [generate_dataset]
    outputs:
      moderately_sensitive:
        table: output/table.csv
`

func TestDiagnosticsOnOpenAndChange(t *testing.T) {
	c := newTestClient(t, map[string]string{
		"project.yaml":                   smallProject,
		"analysis/dataset_definition.py": "from ehrql import create_dataset\n",
	}, clientOptions{})
	u := c.open("project.yaml", smallProject)
	ds := c.waitDiags(u, 1)
	if got := codesOf(ds); !slices.Equal(got, []string{"PY074"}) {
		t.Fatalf("open: got %v, want the missing analyse.py (PY074)", got)
	}
	v := c.change(u, smallProject+"  broken:\n    run: python:v2 x.py\n    needs: [nope]\n")
	ds = c.waitDiags(u, v)
	if got := codesOf(ds); !slices.Contains(got, "PY061") {
		t.Fatalf("change: got %v, want an unknown need (PY061)", got)
	}
}

func TestDiagnosticsClearWhenFileAppears(t *testing.T) {
	c := newTestClient(t, map[string]string{
		"project.yaml":                   smallProject,
		"analysis/dataset_definition.py": "",
	}, clientOptions{watch: true})
	u := c.open("project.yaml", smallProject)
	if got := codesOf(c.waitDiags(u, 1)); !slices.Contains(got, "PY074") {
		t.Fatalf("got %v, want PY074", got)
	}
	script := filepath.Join(c.root, "analysis", "analyse.py")
	if err := os.WriteFile(script, []byte("print(1)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []any{
		map[string]any{"uri": c.uriOf("analysis/analyse.py"), "type": 1},
	}})
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		got := codesOf(c.diags[u].Diagnostics)
		c.mu.Unlock()
		if !slices.Contains(got, "PY074") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PY074 did not clear: %v", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// And it comes back when the file goes.
	os.Remove(script)
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []any{
		map[string]any{"uri": c.uriOf("analysis/analyse.py"), "type": 3},
	}})
	deadline = time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		got := codesOf(c.diags[u].Diagnostics)
		c.mu.Unlock()
		if slices.Contains(got, "PY074") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PY074 did not come back: %v", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
