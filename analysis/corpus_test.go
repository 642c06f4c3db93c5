package analysis

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusDir is the folder of real studies, given by OSLS_CORPUS (".ci/run" sets it when
// ../shared exists). The corpus test is not a unit test: it guards against false errors on
// real projects.
func corpusDir(t testing.TB) string {
	d := os.Getenv("OSLS_CORPUS")
	if d == "" {
		t.Skip("set OSLS_CORPUS to the folder of real studies (../shared/corpus/real) to run this test")
	}
	return d
}

// listedSnapshot is a study whose file list comes from files.txt (the corpus keeps no code).
type listedSnapshot struct {
	dir   string
	files []string
	set   map[string]bool
}

func newListedSnapshot(t testing.TB, dir string) *listedSnapshot {
	s := &listedSnapshot{dir: dir, set: map[string]bool{}}
	f, err := os.Open(filepath.Join(dir, "files.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.TrimSpace(sc.Text())
		if p == "" {
			continue
		}
		s.files = append(s.files, p)
		s.set[p] = true
		for d := filepath.Dir(p); d != "."; d = filepath.Dir(d) {
			s.set[d] = true
		}
	}
	sort.Strings(s.files)
	return s
}

func (s *listedSnapshot) ReadFile(p string) ([]byte, error) {
	return os.ReadFile(filepath.Join(s.dir, filepath.FromSlash(p)))
}
func (s *listedSnapshot) Exists(p string) bool { return s.set[strings.TrimSuffix(p, "/")] }
func (s *listedSnapshot) Files() []string      { return s.files }

// knownCorpusErrors are the only errors real studies may get: each is a file that the real
// pipeline rejects too. The key is "repo CODE path".
var knownCorpusErrors = map[string]string{
	"opensafely__covid-ve-change-over-time PY047 analysis/dummy_data_vax.feather": ".feather is not a level-4 file type",
	"opensafely__med-safety-PoC PY047 output/ce2/sql/generated_sql_*.sql":         ".sql is not a level-4 file type",
	"opensafely__medication-reviews PY046 output/joined/deciles_*_*.*":            "no file type extension (`*.*`)",
	"opensafely__medication-reviews PY046 output/report/joined/deciles_*.*":       "no file type extension (`*.*`)",
	"opensafely__medication-reviews PY047 output/pytest.xml":                      ".xml is not a level-4 file type",
	"opensafely__medication-reviews PY047 output/report/report.ipynb":             ".ipynb is not a level-4 file type",
	"opensafely__pincer-measures PY046 output/numerator_*_distribution*":          "no file type extension",
	"opensafely__winter-pressures PY047 output/pytest.xml":                        ".xml is not a level-4 file type",
	// .pdf was removed from the level-4 types in July 2024; these three studies predate that.
	"opensafely__deaths-at-home-covid19 PY047 *.pdf":        ".pdf is no longer a level-4 file type",
	"opensafely__openprompt-cohort-profile PY047 *.pdf":     ".pdf is no longer a level-4 file type",
	"opensafely__openprompt-vaccine-long-covid PY047 *.pdf": ".pdf is no longer a level-4 file type",
}

// knownCorpusFindings are genuine mistakes (STATS.md) that must be found: "repo CODE text".
var knownCorpusFindings = []string{
	"MomeMukherjee__winter-ari-hospitalisation-crd PY036 Rscript:v2",
	"opensafely__dataset-definition-testing-examples PY074 analysis/dataset_definition.py",
}

func TestCorpusHasNoFalseErrors(t *testing.T) {
	root := corpusDir(t)
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	missing := map[string]int{}
	checked := 0
	for _, d := range dirs {
		text, err := os.ReadFile(filepath.Join(root, d.Name(), "project.yaml"))
		if err != nil {
			continue
		}
		checked++
		snap := newListedSnapshot(t, filepath.Join(root, d.Name()))
		for _, diag := range CheckProject(snap, "project.yaml", text) {
			at := string(text[diag.Range.Start:diag.Range.End])
			found[d.Name()+" "+diag.Code+" "+at] = true
			if diag.Code == CodeFileMissing.ID {
				missing[d.Name()]++
			}
			if diag.Severity != SeverityError {
				continue
			}
			key := d.Name() + " " + diag.Code + " " + at
			if strings.HasSuffix(at, ".pdf") {
				key = d.Name() + " " + diag.Code + " *.pdf"
			}
			if _, ok := knownCorpusErrors[key]; !ok {
				t.Errorf("false error in %s: %s at %q: %s", d.Name(), diag.Code, at, diag.Message)
			}
		}
	}
	if checked < 70 {
		t.Fatalf("only %d project.yaml files found under %s", checked, root)
	}
	for _, f := range knownCorpusFindings {
		if !found[f] {
			t.Errorf("genuine mistake not found: %s", f)
		}
	}
	// Scripts named in run that are really missing (STATS.md): 4 R scripts in MomeMukherjee,
	// the dataset definition in dataset-definition-testing-examples, 2 .do files in
	// long-covid-symptoms and 1 .R file in post-covid-gastrointestinal.
	want := map[string]int{
		"MomeMukherjee__winter-ari-hospitalisation-crd":   4,
		"opensafely__dataset-definition-testing-examples": 1,
		"opensafely__long-covid-symptoms":                 2,
		"opensafely__post-covid-gastrointestinal":         1,
	}
	for repo, n := range missing {
		if want[repo] != n {
			t.Errorf("%s: %d files reported missing, want %d", repo, n, want[repo])
		}
	}
	for repo, n := range want {
		if missing[repo] != n {
			t.Errorf("%s: %d files reported missing, want %d", repo, missing[repo], n)
		}
	}
}
