package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binOut  []byte
)

// builtOSLS builds the real binary once for the CLI tests that run it.
func builtOSLS(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "osls-run-test-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "osls")
		binOut, binErr = exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
	})
	if binErr != nil {
		t.Fatalf("building osls: %v\n%s", binErr, binOut)
	}
	return binPath
}

func needPython3(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is not installed; CI must provide it")
		}
		t.Skip("python3 is not installed")
	}
}

// runBinary runs the built osls and returns its combined output and exit status.
func runBinary(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(builtOSLS(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), code
}

func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "study")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

const cliStudyYAML = `version: "4.0"
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
  broken:
    run: python:v2 analysis/broken.py
    outputs:
      moderately_sensitive:
        table: output/broken.csv
`

func cliStudy(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "study")
	files := map[string]string{
		"project.yaml":          cliStudyYAML,
		"analysis/make_data.py": "import os\nos.makedirs('output', exist_ok=True)\nopen('output/data.csv', 'w').write('patient_id,sex\\n1,F\\n2,M\\n')\n",
		"analysis/summarise.py": "import sys\nrows = open(sys.argv[1]).read().splitlines()[1:]\nopen('output/summary.csv', 'w').write('n\\n%d\\n' % len(rows))\nprint('summarised', len(rows), 'rows')\n",
		"analysis/broken.py":    "import sys\nprint('oops', file=sys.stderr)\nsys.exit(3)\n",
	}
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRunCLI(t *testing.T) {
	needPython3(t)
	dir := cliStudy(t)

	out, code := runBinary(t, nil, "run", "summarise", "--project-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"=> Plan\n   run  make_data: never run\n   run  summarise: requested\n",
		"=> Running summarise [2/2]: ",
		"summarised 2 rows",
		"=> summarise\n   Completed successfully\n   log file: metadata/summarise.log\n   outputs:\n     output/summary.csv  - moderately_sensitive\n",
		// The count of 2 is not redacted.
		"   disclosure control (osls outputs check summarise):\n     output/summary.csv:2:1 SDC010 row 1, column \"n\": 2 is a count of 7 or fewer",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "output", "summary.csv")); string(b) != "n\n2\n" {
		t.Errorf("summary.csv = %q", b)
	}

	// Needs up to date: skipped, with the reason.
	out, code = runBinary(t, nil, "run", "summarise", "--project-dir", dir)
	if code != 0 || !strings.Contains(out, "   skip make_data: up to date") {
		t.Errorf("exit %d\n%s", code, out)
	}
	// Forced.
	out, _ = runBinary(t, nil, "run", "-f", "summarise", "--project-dir", dir)
	if !strings.Contains(out, "   run  make_data: --force-run-dependencies") {
		t.Errorf("%s", out)
	}

	// A failure: exit 1, the log streamed, the summary at the end.
	out, code = runBinary(t, nil, "run", "run_all", "--project-dir", dir)
	if code != 1 || !strings.Contains(out, "oops") || !strings.Contains(out, "=> broken\n   Job exited with an error (exit code 3)") {
		t.Errorf("exit %d\n%s", code, out)
	}

	// Usage errors.
	if out, code = runBinary(t, nil, "run", "--project-dir", dir); code != 2 || !strings.Contains(out, "At least one action must be supplied") {
		t.Errorf("no action: exit %d\n%s", code, out)
	}
	if out, code = runBinary(t, nil, "run", "nope", "--project-dir", dir); code != 2 || !strings.Contains(out, "Action 'nope' not found in project.yaml") {
		t.Errorf("unknown action: exit %d\n%s", code, out)
	}
	if out, code = runBinary(t, nil, "run", "summarise", "--project-dir", t.TempDir()); code != 2 || !strings.Contains(out, "no project.yaml") {
		t.Errorf("no project: exit %d\n%s", code, out)
	}
}

func TestRunCLIAllDone(t *testing.T) {
	needPython3(t)
	dir := cliStudy(t)
	os.WriteFile(filepath.Join(dir, "analysis", "broken.py"), []byte("import os\nos.makedirs('output', exist_ok=True)\nopen('output/broken.csv', 'w').write('x\\n1\\n')\n"), 0o644)
	if out, code := runBinary(t, nil, "run", "run_all", "--project-dir", dir); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	out, code := runBinary(t, nil, "run", "run_all", "--project-dir", dir)
	if code != 0 || !strings.Contains(out, "=> All actions already completed successfully\n   Use -f option to force everything to re-run") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

func TestRunCLIDocker(t *testing.T) {
	dir := cliStudy(t)
	out, code := runBinary(t, nil, "run", "summarise", "--docker", "--dry-run", "--project-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"make_data would run: docker run --rm --init --name os-job-osls-make_data-",
		"--network none --mount type=bind,source=" + filepath.Join(dir, "metadata", ".osls-jobs", "summarise", "workspace") + ",target=/workspace --cpus 2 --memory 4G",
		"ghcr.io/opensafely-core/python:v2 python analysis/summarise.py output/data.csv\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// A docker whose engine is not running.
	fake := filepath.Join(t.TempDir(), "docker")
	os.WriteFile(fake, []byte("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n"), 0o755)
	out, code = runBinary(t, []string{"OSLS_DOCKER=" + fake}, "run", "summarise", "--docker", "--project-dir", dir)
	if code != 1 || !strings.Contains(out, "Docker is not available") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// TestRunCLIDisclosureCap checks that the summary lists at most 10 disclosure-control
// findings per action, and says how many more the log has.
func TestRunCLIDisclosureCap(t *testing.T) {
	needPython3(t)
	dir := filepath.Join(t.TempDir(), "study")
	os.MkdirAll(filepath.Join(dir, "analysis"), 0o755)
	os.WriteFile(filepath.Join(dir, "project.yaml"), []byte(`version: "4.0"
actions:
  tabulate:
    run: python:v2 python analysis/tabulate.py
    outputs:
      moderately_sensitive:
        table: output/table.csv
`), 0o644)
	// Four count columns of small counts: five findings each, and a note of the rest.
	os.WriteFile(filepath.Join(dir, "analysis", "tabulate.py"), []byte(`import os
os.makedirs("output", exist_ok=True)
with open("output/table.csv", "w") as f:
    f.write("group,n_a,n_b,n_c,n_d\n")
    for i in range(8):
        f.write(f"g{i},{i % 7 + 1},{i % 7 + 1},{i % 7 + 1},{i % 7 + 1}\n")
`), 0o644)
	out, code := runBinary(t, nil, "run", "tabulate", "--project-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	i := strings.Index(out, "   disclosure control (osls outputs check tabulate):\n")
	if i < 0 {
		t.Fatalf("no disclosure findings listed:\n%s", out)
	}
	lines := strings.Split(strings.TrimRight(out[i:], "\n"), "\n")[1:]
	if len(lines) != 11 || !strings.HasPrefix(lines[0], "     output/table.csv:2:") ||
		!strings.HasPrefix(lines[10], "     and ") || !strings.HasSuffix(lines[10], "more (all in metadata/tabulate.log)") {
		t.Errorf("summary:\n%s", strings.Join(lines, "\n"))
	}
	log, _ := os.ReadFile(filepath.Join(dir, "metadata", "tabulate.log"))
	if n := strings.Count(string(log), "  output/table.csv:"); n <= 10 {
		t.Errorf("the log lists %d findings:\n%s", n, log)
	}
}
