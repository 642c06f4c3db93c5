package lsp

import (
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"

	"github.com/opensafely-core/osls/analysis"
)

// bigStudy is the real study with the largest project.yaml of the corpus (2,191 actions).
const bigStudy = "opensafely__disparities-comparison"

// bigDir finds the study in the shared corpus (OSLS_CORPUS, or ../shared beside the checkout).
func bigDir() string {
	if d := os.Getenv("OSLS_CORPUS"); d != "" {
		return filepath.Join(d, bigStudy)
	}
	return filepath.Join("..", "..", "shared", "corpus", "real", bigStudy)
}

func loadBig(b *testing.B) string {
	raw, err := os.ReadFile(filepath.Join(bigDir(), "project.yaml"))
	if err != nil {
		b.Skipf("corpus not available: %v", err)
	}
	return string(raw)
}

// bigFiles lists the study's files (from the corpus's files.txt) as empty files, so that the
// server sees the scripts project.yaml names, as it would in the real repository.
func bigFiles(b *testing.B) map[string]string {
	raw, err := os.ReadFile(filepath.Join(bigDir(), "files.txt"))
	if err != nil {
		b.Skipf("corpus not available: %v", err)
	}
	files := map[string]string{}
	for _, f := range strings.Split(string(raw), "\n") {
		if f = strings.TrimSpace(f); f != "" && f != "project.yaml" && !strings.HasPrefix(f, "codelists/") {
			files[f] = ""
		}
	}
	return files
}

func quietClient(b *testing.B, files map[string]string) *testClient {
	return newTestClient(b, files, clientOptions{logger: log.New(io.Discard, "", 0)})
}

// BenchmarkDiagnosticsAfterEdit measures the time from a didChange (a space typed after
// `version: '5.0'` in the 2,191-action project) to the publishDiagnostics for that version.
func BenchmarkDiagnosticsAfterEdit(b *testing.B) {
	text := loadBig(b)
	c := quietClient(b, bigFiles(b))
	u := c.open("project.yaml", text)
	c.waitDiags(u, 1)
	b.ResetTimer()
	var v int32 = 1
	for i := 0; i < b.N; i++ {
		v++
		c.notify("textDocument/didChange", map[string]any{
			"textDocument": map[string]any{"uri": u, "version": v},
			"contentChanges": []any{map[string]any{
				"range": map[string]any{"start": map[string]any{"line": 0, "character": 14}, "end": map[string]any{"line": 0, "character": 14}},
				"text":  " ",
			}},
		})
		c.waitDiags(u, v)
	}
}

// BenchmarkCompletion measures a completion request in the `needs` of an action of the
// 2,191-action project.
func BenchmarkCompletion(b *testing.B) {
	text := loadBig(b)
	c := quietClient(b, nil)
	u := c.open("project.yaml", text)
	c.waitDiags(u, 1)
	line := -1
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "    - ") && i > 3000 {
			line = i
			break
		}
	}
	if line < 0 {
		b.Skip("no needs list found")
	}
	col := len("    - ")
	params := map[string]any{"textDocument": map[string]any{"uri": u}, "position": map[string]any{"line": line, "character": col}}
	var list protocol.CompletionList
	c.call("textDocument/completion", params, &list)
	if len(list.Items) == 0 {
		b.Fatal("no completions")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.call("textDocument/completion", params, nil)
	}
}

// TestReportLatency prints the latencies the issue names (run with -v and OSLS_BENCH=1).
func TestReportLatency(t *testing.T) {
	if os.Getenv("OSLS_BENCH") == "" {
		t.Skip("set OSLS_BENCH=1 to measure")
	}
	for _, bm := range []struct {
		name string
		f    func(*testing.B)
	}{{"diagnostics after edit", BenchmarkDiagnosticsAfterEdit}, {"completion", BenchmarkCompletion}} {
		r := testing.Benchmark(bm.f)
		fmt.Printf("%s: %v per op (%d ops)\n", bm.name, time.Duration(r.NsPerOp()), r.N)
	}
}

// BenchmarkDiagnosticsAfterEditWithOutputs is BenchmarkDiagnosticsAfterEdit with a CSV on
// disk, with disclosure-control findings, for every literal moderately_sensitive output of
// the project (1,909 files): the findings are checked once in the background and only placed
// on the text after each edit.
func BenchmarkDiagnosticsAfterEditWithOutputs(b *testing.B) {
	text := loadBig(b)
	files := bigFiles(b)
	outs := 0
	for _, a := range mustProject(text).Actions {
		for _, o := range a.Outputs {
			if o.Level == "moderately_sensitive" && !strings.Contains(o.Path, "*") && strings.HasSuffix(o.Path, ".csv") {
				files[o.Path] = "group,n\na,12\nb,3\n"
				outs++
			}
		}
	}
	c := quietClient(b, files)
	u := c.open("project.yaml", text)
	c.waitDiagsWhere(u, "on the outputs", func(ds []protocol.Diagnostic) bool {
		n := 0
		for _, d := range ds {
			if strings.HasPrefix(codeOf(d), "SDC") {
				n++
			}
		}
		return n >= outs
	})
	b.ResetTimer()
	var v int32 = 1
	for i := 0; i < b.N; i++ {
		v++
		c.notify("textDocument/didChange", map[string]any{
			"textDocument": map[string]any{"uri": u, "version": v},
			"contentChanges": []any{map[string]any{
				"range": map[string]any{"start": map[string]any{"line": 0, "character": 14}, "end": map[string]any{"line": 0, "character": 14}},
				"text":  " ",
			}},
		})
		c.waitDiags(u, v)
	}
}

func mustProject(text string) *analysis.Project {
	return analysis.ParseProject(analysis.ProjectFile, []byte(text))
}
