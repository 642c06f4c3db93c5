// Package e2e starts the real osls binary under real editors (headless Neovim, Emacs with
// Eglot) against the fixture study in testdata/study, and checks what the editor saw. In CI
// (CI=true) a missing editor fails the test; elsewhere it skips.
package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildOut  []byte
)

// osls builds the binary once per test run.
func osls(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "osls-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "osls")
		cmd := exec.Command("go", "build", "-o", binPath, "../cmd/osls")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("building osls: %v\n%s", buildErr, buildOut)
	}
	return binPath
}

// editor finds an editor binary; in CI its absence is a failure.
func editor(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed; CI must install it (see .ci/run)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

// study copies the fixture study into a temporary folder.
func study(t *testing.T) string {
	t.Helper()
	return studyFrom(t, "testdata/study")
}

// studyFrom copies a fixture study into a temporary folder.
func studyFrom(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "study")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// result is what an editor script reports.
type result struct {
	Errors      []string     `json:"errors"`
	Attached    bool         `json:"attached"`
	Diagnostics []diagnostic `json:"diagnostics"`
	After       []diagnostic `json:"diagnostics_after_fix"`
	Needs       []string     `json:"complete_needs"`
	Images      []string     `json:"complete_image"`
	Hover       string       `json:"hover"`
	Definition  struct {
		URI  string `json:"uri"`
		Line int    `json:"line"`
	} `json:"definition"`
	FixTitles  []string `json:"fix_titles"`
	FixedLine  string   `json:"fixed_line"`
	Lenses     int      `json:"lenses"`
	RunMessage string   `json:"run_message"`
}

type diagnostic struct {
	Code    string `json:"code"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

func codes(ds []diagnostic) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Code)
	}
	slices.Sort(out)
	return out
}

// check asserts on what an editor saw of the fixture study.
func check(t *testing.T, r result) {
	t.Helper()
	for _, e := range r.Errors {
		t.Errorf("editor script: %s", e)
	}
	if !r.Attached {
		t.Fatal("the server never attached")
	}
	if got := codes(r.Diagnostics); !slices.Equal(got, []string{"PY061", "PY074"}) {
		t.Errorf("diagnostics: got %v, want the misspelt need PY061 and the missing report.R PY074", r.Diagnostics)
	}
	if !slices.Contains(r.Needs, "generate_dataset") || !slices.Contains(r.Needs, "analyse") || slices.Contains(r.Needs, "report") {
		t.Errorf("needs completion: got %v", r.Needs)
	}
	if !slices.Contains(r.Images, "ehrql:v1") || !slices.Contains(r.Images, "r:v2") {
		t.Errorf("image completion: got %v", r.Images)
	}
	if !strings.Contains(r.Hover, "action `analyse`") || !strings.Contains(r.Hover, "python:v2 python analysis/analyse.py") {
		t.Errorf("hover: got %q", r.Hover)
	}
	if !strings.HasSuffix(r.Definition.URI, "/project.yaml") || r.Definition.Line != 2 {
		t.Errorf("definition: got %+v, want line 2 of project.yaml", r.Definition)
	}
	if !slices.Contains(r.FixTitles, `Change to "analyse"`) {
		t.Errorf("quick fixes: got %v", r.FixTitles)
	}
	if strings.TrimSpace(r.FixedLine) != "needs: [analyse]" {
		t.Errorf("after the fix the line is %q", r.FixedLine)
	}
	if got := codes(r.After); !slices.Equal(got, []string{"PY074"}) {
		t.Errorf("diagnostics after the fix: got %v, want only PY074", r.After)
	}
	if r.Lenses < 3 {
		t.Errorf("code lenses: got %d", r.Lenses)
	}
	if !strings.Contains(r.RunMessage, "Cannot run generate_dataset") {
		t.Errorf("run command: got %q", r.RunMessage)
	}
}

// runEditor runs an editor command with a deadline and reads the result file.
func runEditor(t *testing.T, cmd *exec.Cmd, out string) result {
	t.Helper()
	var stderr strings.Builder
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Logf("editor output:\n%s", stderr.String())
		if ctxErr := context.DeadlineExceeded; cmd.ProcessState == nil || !cmd.ProcessState.Exited() {
			t.Fatalf("editor did not finish: %v (%v)", err, ctxErr)
		}
		t.Fatalf("editor failed: %v", err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("the editor wrote no result: %v\n%s", err, stderr.String())
	}
	var r result
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("bad result %s: %v", raw, err)
	}
	t.Logf("editor result: %s", raw)
	return r
}

func TestNeovim(t *testing.T) {
	nvim := editor(t, "nvim")
	bin := osls(t)
	dir := study(t)
	out := filepath.Join(t.TempDir(), "result.json")
	_, self, _, _ := runtime.Caller(0)
	repo := filepath.Dir(filepath.Dir(self))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n",
		"--cmd", "set rtp+="+filepath.Join(repo, "editors", "nvim"),
		"-c", "luafile "+filepath.Join(repo, "e2e", "testdata", "nvim_e2e.lua"))
	cmd.Env = append(os.Environ(), "OSLS_BIN="+bin, "OSLS_STUDY="+dir, "OSLS_OUT="+out, "HOME="+t.TempDir(), "XDG_STATE_HOME="+t.TempDir())
	check(t, runEditor(t, cmd, out))
}

func TestEmacsEglot(t *testing.T) {
	emacs := editor(t, "emacs")
	if out, err := exec.Command(emacs, "--batch", "-Q", "--eval",
		`(progn (dolist (d (and (file-directory-p "/usr/share/emacs/site-lisp/elpa") (directory-files "/usr/share/emacs/site-lisp/elpa" t "^[a-z]"))) (add-to-list 'load-path d)) (require 'eglot))`).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Eglot is not installed; CI must install elpa-eglot: %v\n%s", err, out)
		}
		t.Skipf("Eglot is not installed: %s", out)
	}
	bin := osls(t)
	dir := study(t)
	out := filepath.Join(t.TempDir(), "result.json")
	_, self, _, _ := runtime.Caller(0)
	repo := filepath.Dir(filepath.Dir(self))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, emacs, "--batch", "-Q", "-l", filepath.Join(repo, "e2e", "testdata", "eglot_e2e.el"))
	cmd.Env = append(os.Environ(), "OSLS_BIN="+bin, "OSLS_STUDY="+dir, "OSLS_OUT="+out, "HOME="+t.TempDir())
	check(t, runEditor(t, cmd, out))
}
