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
	"testing"
	"time"

	"github.com/opensafely-core/osls/opencodelists/fake"
)

// nvimScript runs a Lua script in headless Neovim with the plugin on its runtime path and
// decodes the JSON it writes to $OSLS_OUT into out.
func nvimScript(t *testing.T, script, dir string, env []string, out any) {
	t.Helper()
	nvim := editor(t, "nvim")
	bin := osls(t)
	resFile := filepath.Join(t.TempDir(), "result.json")
	_, self, _, _ := runtime.Caller(0)
	repo := filepath.Dir(filepath.Dir(self))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n",
		"--cmd", "set rtp+="+filepath.Join(repo, "editors", "nvim"),
		"-c", "luafile "+filepath.Join(repo, "e2e", "testdata", script))
	cmd.Env = append(os.Environ(), "OSLS_BIN="+bin, "OSLS_STUDY="+dir, "OSLS_OUT="+resFile, "HOME="+t.TempDir(), "XDG_STATE_HOME="+t.TempDir(), "XDG_CACHE_HOME="+t.TempDir())
	cmd.Env = append(cmd.Env, env...)
	var output strings.Builder
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		t.Fatalf("nvim: %v\n%s", err, output.String())
	}
	raw, err := os.ReadFile(resFile)
	if err != nil {
		t.Fatalf("the editor wrote no result: %v\n%s", err, output.String())
	}
	t.Logf("editor result: %s", raw)
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("bad result %s: %v", raw, err)
	}
}

type progressValue struct {
	Kind    string `json:"kind"`
	Title   string `json:"title"`
	Message string `json:"message"`
}

// TestNeovimRun runs a python action with :OslsRun and checks its output, the progress
// reports and the streamed log.
func TestNeovimRun(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	dir := studyFrom(t, "testdata/run_study")
	var r struct {
		Errors    []string          `json:"errors"`
		Attached  bool              `json:"attached"`
		RunError  string            `json:"run_error"`
		RunResult map[string]any    `json:"run_result"`
		Progress  []progressValue   `json:"progress"`
		RunLog    string            `json:"run_log"`
		Notes     []string          `json:"notifications"`
		Diags     int               `json:"diagnostics"`
		Extra     map[string]string `json:"-"`
	}
	nvimScript(t, "nvim_run_e2e.lua", dir, nil, &r)
	for _, e := range r.Errors {
		t.Errorf("editor script: %s", e)
	}
	if !r.Attached {
		t.Fatal("the server never attached")
	}
	if r.RunError != "" || r.RunResult["ok"] != true {
		t.Errorf("run: %q %v", r.RunError, r.RunResult)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "output", "table.csv")); err != nil || !strings.Contains(string(b), "a,10") {
		t.Errorf("output/table.csv: %q %v", b, err)
	}
	var begins []string
	var ends int
	for _, p := range r.Progress {
		switch p.Kind {
		case "begin":
			begins = append(begins, p.Title)
		case "end":
			ends++
		}
	}
	if !slices.Contains(begins, "Running make_table") || !slices.Contains(begins, "make_table") || ends != len(begins) {
		t.Errorf("progress: %+v", r.Progress)
	}
	if !strings.Contains(r.RunLog, "[make_table] writing output/table.csv") {
		t.Errorf("run log buffer: %q", r.RunLog)
	}
	if !slices.ContainsFunc(r.Notes, func(s string) bool { return strings.Contains(s, "make_table: Completed successfully") }) {
		t.Errorf("notifications: %q", r.Notes)
	}
	if r.Diags != 0 {
		t.Errorf("%d diagnostics after a good run", r.Diags)
	}
}

// TestNeovimImportCodelist applies the "Import codelist" quick fix of a dataset definition
// against the fake OpenCodelists server.
func TestNeovimImportCodelist(t *testing.T) {
	srv := fake.New(fake.Version{ID: "opensafely/asthma/2020-04-15", Name: "Asthma", CodingSystem: "snomedct", CSV: "code,term\n195967001,Asthma\n"})
	defer srv.Close()
	dir := studyFrom(t, "testdata/codelists_study")
	var r struct {
		Errors      []string        `json:"errors"`
		Attached    bool            `json:"attached"`
		Diagnostics []string        `json:"diagnostics"`
		After       []string        `json:"diagnostics_after"`
		Hover       string          `json:"hover"`
		FixTitles   []string        `json:"fix_titles"`
		EditedTxt   string          `json:"edited_txt"`
		Result      map[string]any  `json:"command_result"`
		CmdError    string          `json:"command_error"`
		Progress    []progressValue `json:"progress"`
	}
	nvimScript(t, "nvim_codelists_e2e.lua", dir, []string{"OPENCODELISTS_URL=" + srv.URL}, &r)
	for _, e := range r.Errors {
		t.Errorf("editor script: %s", e)
	}
	if !r.Attached {
		t.Fatal("the server never attached")
	}
	if !slices.Contains(r.Diagnostics, "CL032") {
		t.Errorf("diagnostics before: %v", r.Diagnostics)
	}
	if !strings.Contains(r.Hover, "Not listed") {
		t.Errorf("hover: %q", r.Hover)
	}
	if !slices.Contains(r.FixTitles, "Import codelist opensafely/asthma/2020-04-15") {
		t.Errorf("fixes: %v", r.FixTitles)
	}
	if !strings.Contains(r.EditedTxt, "opensafely/asthma/2020-04-15") {
		t.Errorf("codelists.txt buffer after the edit: %q", r.EditedTxt)
	}
	if r.CmdError != "" || r.Result["ok"] != true {
		t.Errorf("import command: %q %v", r.CmdError, r.Result)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "codelists", "opensafely-asthma.csv")); err != nil || !strings.Contains(string(b), "195967001") {
		t.Errorf("downloaded CSV: %q %v", b, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "codelists", "codelists.txt")); !strings.Contains(string(b), "opensafely/asthma/2020-04-15") {
		t.Errorf("codelists.txt on disk: %q", b)
	}
	if slices.Contains(r.After, "CL032") || slices.Contains(r.After, "CL031") {
		t.Errorf("diagnostics after the import: %v", r.After)
	}
	kinds := []string{}
	for _, p := range r.Progress {
		kinds = append(kinds, p.Kind)
	}
	if len(kinds) < 2 || kinds[0] != "begin" || kinds[len(kinds)-1] != "end" {
		t.Errorf("progress: %+v", r.Progress)
	}
}
