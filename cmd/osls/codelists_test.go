package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opensafely-core/osls/opencodelists/fake"
)

func codelistsStudy(t *testing.T, txt string) string {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "codelists"), 0o755)
	os.WriteFile(filepath.Join(dir, "codelists", "codelists.txt"), []byte(txt), 0o644)
	return dir
}

func TestCodelistsCommands(t *testing.T) {
	srv := fake.New(
		fake.Version{ID: "opensafely/asthma/v1", Name: "Asthma", CSV: "code,term\n1,a\n"},
		fake.Version{ID: "user/jdoe/meds/ab12cd34", Name: "Meds", CSV: "code,term,dmd_id\n2,b,2\n"},
		fake.Version{ID: "opensafely/draft/v1", Status: "draft"},
	)
	defer srv.Close()
	dir := codelistsStudy(t, "opensafely/asthma/v1\n")
	os.WriteFile(filepath.Join(dir, "codelists", "stray.csv"), []byte("code\n9\n"), 0o644)
	run := func(args ...string) (string, int) {
		return runCLI(t, append([]string{"codelists", "-C", dir, "--opencodelists-url", srv.URL}, args...)...)
	}

	out, code := run("update")
	if code != 0 || !strings.Contains(out, "Fetching opensafely/asthma/v1") || !strings.Contains(out, "Deleting codelists/stray.csv") {
		t.Fatalf("update: %d\n%s", code, out)
	}
	out, code = run("add", srv.URL+"/codelist/user/jdoe/meds/ab12cd34/download.csv")
	if code != 0 || !strings.Contains(out, "Added user/jdoe/meds/ab12cd34") {
		t.Fatalf("add: %d\n%s", code, out)
	}
	out, code = run("check")
	if code != 0 || !strings.Contains(out, "Local codelists OK") || !strings.Contains(out, "Codelists OK") {
		t.Fatalf("check: %d\n%s", code, out)
	}

	txt, _ := os.ReadFile(filepath.Join(dir, "codelists", "codelists.txt"))
	out, code = run("add", "opensafely/draft/v1")
	if code != 1 || !strings.Contains(out, "is a draft codelist") || !strings.Contains(out, "Nothing was changed") {
		t.Errorf("draft: %d\n%s", code, out)
	}
	out, code = run("add", "opensafely/unknown/v1")
	if code != 1 || !strings.Contains(out, "was not found on OpenCodelists") {
		t.Errorf("unknown: %d\n%s", code, out)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "codelists", "codelists.txt")); string(after) != string(txt) {
		t.Errorf("failed add changed codelists.txt: %q", after)
	}
	if _, code = run("add", "not-a-codelist"); code != exitUsage {
		t.Errorf("bad argument: exit %d", code)
	}

	// Changed upstream (dm+d): exit 1 with an explanation.
	srv.Set(fake.Version{ID: "user/jdoe/meds/ab12cd34", CSV: "code,term,dmd_id\n2,b,2\n3,VMP previous to 2,3\n"})
	out, code = run("check")
	if code != 1 || !strings.Contains(out, "Some codelists are out of date") || !strings.Contains(out, "dm+d") {
		t.Errorf("changed: %d\n%s", code, out)
	}

	// A hand-edited CSV.
	os.WriteFile(filepath.Join(dir, "codelists", "opensafely-asthma.csv"), []byte("code,term\n1,z\n"), 0o644)
	out, code = run("check", "--offline")
	if code != 1 || !strings.Contains(out, "codelists/codelists.txt:1:1: error CL024") {
		t.Errorf("sha: %d\n%s", code, out)
	}

	// Server gone: said plainly; the local result decides.
	run("update")
	srv.Close()
	out, code = run("check")
	if code != 0 || !strings.Contains(out, "Could not contact") || !strings.Contains(out, "NOT done") {
		t.Errorf("unreachable: %d\n%s", code, out)
	}
}

func TestCodelistsCheckNoFolder(t *testing.T) {
	out, code := runCLI(t, "codelists", "check", "-C", t.TempDir(), "--opencodelists-url", "http://127.0.0.1:1")
	if code != 0 || !strings.Contains(out, "nothing to check") {
		t.Errorf("%d %s", code, out)
	}
}

// TestCorpusCodelistsCLI runs `osls codelists check --offline` on every real study: it passes
// on those whose codelists folder is consistent and fails on the known broken ones.
func TestCorpusCodelistsCLI(t *testing.T) {
	corpus := os.Getenv("OSLS_CORPUS")
	if corpus == "" {
		t.Skip("set OSLS_CORPUS to ../shared/corpus/real to run this test")
	}
	broken := map[string]string{
		"opensafely__prophy_effects_Sotro_Molnup":       "CL024",
		"MomeMukherjee__winter-ari-hospitalisation-crd": "CL022",
		"andrewscolm__statins_doi":                      "CL025",
	}
	repos, _ := filepath.Glob(filepath.Join(corpus, "*", "codelists", "codelists.txt"))
	if len(repos) == 0 {
		t.Fatal("no studies with codelists in the corpus")
	}
	for _, p := range repos {
		root := filepath.Dir(filepath.Dir(p))
		name := filepath.Base(root)
		out, code := runCLI(t, "codelists", "check", "--offline", "-C", root)
		if want, ok := broken[name]; ok {
			if code != exitFindings || !strings.Contains(out, want) {
				t.Errorf("%s: exit %d, want 1 with %s:\n%s", name, code, want, out)
			}
		} else if code != 0 {
			t.Errorf("%s: exit %d:\n%s", name, code, out)
		}
	}
}
