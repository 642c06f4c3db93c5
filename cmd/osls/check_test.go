package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// runCLI runs the command in-process and returns stdout and the exit status.
func runCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	code := 0
	if err != nil {
		code = exitUsage
		if ee, ok := err.(*exitError); ok {
			code = ee.code
		}
	}
	return out.String(), code
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestCheckFormatsGolden(t *testing.T) {
	version = "test"
	defer func() { version = "" }()
	for _, f := range []string{"text", "json", "github", "sarif"} {
		t.Run(f, func(t *testing.T) {
			out, code := runCLI(t, "check", "testdata/broken", "--format", f, "--min-severity", "hint")
			if code != exitFindings {
				t.Errorf("exit status %d, want %d", code, exitFindings)
			}
			golden(t, "broken."+f, out)
		})
	}
}

func TestCheckExitStatus(t *testing.T) {
	if out, code := runCLI(t, "check", "../../examples"); code != exitOK || out != "" {
		t.Errorf("example study: exit %d, output %q", code, out)
	}
	if _, code := runCLI(t, "check", "testdata/missing"); code != exitUsage {
		t.Errorf("missing folder: exit %d, want %d", code, exitUsage)
	}
	if _, code := runCLI(t, "check", "testdata/broken", "--format", "xml"); code != exitUsage {
		t.Errorf("bad format: exit %d, want %d", code, exitUsage)
	}
	if _, code := runCLI(t, "check", t.TempDir()); code != exitUsage {
		t.Errorf("folder without project.yaml: exit %d, want %d", code, exitUsage)
	}
	if _, code := runCLI(t, "check", "testdata/broken/project.yaml", "--min-severity", "error"); code != exitFindings {
		t.Errorf("project.yaml path: exit %d, want %d", code, exitFindings)
	}
	// Warnings alone do not fail the check.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "project.yaml"), []byte("version: '4.0'\nactions:\n  a:\n    run: python:v2 python x.py\n    outputs:\n      highly_sensitive: {x: output/x.csv}\n"), 0o644)
	if out, code := runCLI(t, "check", dir); code != exitOK || out == "" {
		t.Errorf("warnings only: exit %d, output %q", code, out)
	}
}

func TestSchemaAndVersionCommands(t *testing.T) {
	out, code := runCLI(t, "schema", "project-yaml")
	if code != 0 || !bytes.Contains([]byte(out), []byte(`"$schema"`)) {
		t.Errorf("schema: exit %d, output starts %.80q", code, out)
	}
	if _, code := runCLI(t, "schema", "nope"); code != exitUsage {
		t.Errorf("unknown schema: exit %d", code)
	}
	if out, code := runCLI(t, "version"); code != 0 || !bytes.HasPrefix([]byte(out), []byte("osls ")) {
		t.Errorf("version: %q", out)
	}
}
