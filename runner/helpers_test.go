package runner

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// writeStudy creates a study from a map of relative paths to contents.
func writeStudy(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "study")
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// needPython skips a test without python3, except in CI where it must be installed.
func needPython(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is not installed; CI must provide it")
		}
		t.Skip("python3 is not installed")
	}
}

// syncBuffer is a bytes.Buffer safe for the log-copying goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func readFile(t *testing.T, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func exists(dir, rel string) bool {
	_, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(rel)))
	return err == nil
}

func openStudy(t *testing.T, dir string) *Study {
	t.Helper()
	st, err := OpenStudy(dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// pipeline is a small study: make_data writes a CSV, summarise reads it (a direct need)
// and writes a moderately_sensitive table, independent needs nothing.
const pipelineYAML = `version: "4.0"
actions:
  make_data:
    run: python:v2 python analysis/make_data.py
    outputs:
      highly_sensitive:
        data: output/data.csv
  summarise:
    run: python:v2 python analysis/summarise.py output/data.csv
    needs: [make_data]
    outputs:
      moderately_sensitive:
        table: output/summary.csv
  independent:
    run: python:v2 analysis/independent.py
    outputs:
      moderately_sensitive:
        note: output/note.txt
`

const makeDataPy = `import os
os.makedirs("output", exist_ok=True)
with open("output/data.csv", "w") as f:
    f.write("patient_id,sex\n1,F\n2,M\n3,F\n")
`

const summarisePy = `import csv, sys, collections
counts = collections.Counter(row["sex"] for row in csv.DictReader(open(sys.argv[1])))
with open("output/summary.csv", "w") as f:
    f.write("sex,n\n")
    for k in sorted(counts):
        f.write(f"{k},{counts[k]}\n")
`

const independentPy = `import os
os.makedirs("output", exist_ok=True)
open("output/note.txt", "w").write("hello\n")
`

func pipelineStudy(t *testing.T) string {
	return writeStudy(t, map[string]string{
		"project.yaml":            pipelineYAML,
		"analysis/make_data.py":   makeDataPy,
		"analysis/summarise.py":   summarisePy,
		"analysis/independent.py": independentPy,
	})
}

// markDone writes a succeeded record for an action as if it had just run: its outputs are
// the study files matching its patterns, its inputs its needs' outputs, its code hashed now.
func markDone(t *testing.T, dir, id string) {
	t.Helper()
	st := openStudy(t, dir)
	a := st.Project.ActionByID(id)
	rec := &Record{Action: id, Run: a.Run, Status: StatusSucceeded, Mode: "local"}
	for _, p := range st.Files() {
		for _, o := range a.Outputs {
			if o.Path != "" && matchOutput(o.Path, p) {
				fr, err := fileRecord(dir, p)
				if err != nil {
					t.Fatal(err)
				}
				fr.Level = o.Level
				rec.Outputs = append(rec.Outputs, fr)
			}
		}
	}
	for _, n := range a.NeedIDs() {
		for _, f := range st.outputsOf(st.Project.ActionByID(n)) {
			fr, _ := fileRecord(dir, f.Path)
			fr.Action = n
			rec.Inputs = append(rec.Inputs, fr)
		}
	}
	for _, p := range st.codeFiles(a) {
		fr, _ := fileRecord(dir, p)
		rec.Code = append(rec.Code, fr)
	}
	if err := writeRecord(dir, rec); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, dir, rel, content string) {
	t.Helper()
	full := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
