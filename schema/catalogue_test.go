package schema

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

func TestKeys(t *testing.T) {
	tests := []struct {
		path []string
		want []string
	}{
		{nil, []string{"version", "actions", "expectations"}},
		{[]string{}, []string{"version", "actions", "expectations"}},
		{[]string{"actions"}, nil},
		{[]string{"actions", "*"}, []string{"run", "needs", "outputs", "config", "dummy_data_file"}},
		{[]string{"actions", "generate_dataset"}, []string{"run", "needs", "outputs", "config", "dummy_data_file"}},
		{[]string{"actions", "*", "outputs"}, PrivacyLevels},
		{[]string{"actions", "a", "outputs"}, PrivacyLevels},
		{[]string{"actions", "*", "outputs", "highly_sensitive"}, nil},
		{[]string{"actions", "*", "config"}, nil},
		{[]string{"actions", "*", "run"}, nil},
		{[]string{"expectations"}, []string{"population_size"}},
		{[]string{"nonsense"}, nil},
	}
	for _, tc := range tests {
		var got []string
		for _, k := range Keys(tc.path) {
			got = append(got, k.Key)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Keys(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestKeyDocs(t *testing.T) {
	for _, e := range keyTable {
		if e.doc.Doc == "" {
			t.Errorf("%v has no Doc", e.path)
		}
		if e.doc.Key != e.path[len(e.path)-1] {
			t.Errorf("%v has Key %q", e.path, e.doc.Key)
		}
		if e.doc.Key != "*" && !strings.HasPrefix(e.doc.Snippet, e.doc.Key+":") {
			t.Errorf("%v: snippet %q does not start with the key", e.path, e.doc.Snippet)
		}
		if strings.Contains(e.doc.Snippet, "\t") {
			t.Errorf("%v: snippet contains a tab, which YAML forbids for indentation", e.path)
		}
	}
}

func TestDoc(t *testing.T) {
	tests := []struct {
		path    []string
		wantKey string // "" when Doc should report false
	}{
		{[]string{"version"}, "version"},
		{[]string{"actions"}, "actions"},
		{[]string{"actions", "*", "run"}, "run"},
		{[]string{"actions", "my_action", "needs"}, "needs"},
		{[]string{"actions", "run"}, "*"}, // an action that happens to be called "run"
		{[]string{"actions", "a", "outputs", "moderately_sensitive"}, "moderately_sensitive"},
		{[]string{"actions", "a", "outputs", "moderately_sensitive", "table"}, "*"},
		{[]string{"actions", "a", "outputs", "*", "*"}, "*"},
		{[]string{"expectations", "population_size"}, "population_size"},
		{[]string{"actions", "a", "outputs", "moderatly_sensitive"}, ""},
		{[]string{"actions", "a", "need"}, ""},
		{[]string{"run"}, ""},
		{nil, ""},
	}
	for _, tc := range tests {
		d, ok := Doc(tc.path)
		switch {
		case tc.wantKey == "" && ok:
			t.Errorf("Doc(%q) = %q, want none", tc.path, d.Key)
		case tc.wantKey != "" && (!ok || d.Key != tc.wantKey):
			t.Errorf("Doc(%q) = %q, %v; want %q", tc.path, d.Key, ok, tc.wantKey)
		}
	}
	if d, _ := Doc([]string{"actions", "*", "run"}); !d.Required {
		t.Error("run is not marked required")
	}
	if d, _ := Doc([]string{"actions", "*", "needs"}); d.Required {
		t.Error("needs is marked required")
	}
}

func TestIsLevel4Extension(t *testing.T) {
	tests := map[string]bool{
		".csv": true, "csv": true, ".png": true, ".svgz": true, ".md": true, ".json": true,
		".pdf": false, ".PNG": false, ".gz": false, ".csv.gz": false, ".tsv": false,
		".feather": false, "": false, ".": false,
	}
	for ext, want := range tests {
		if got := IsLevel4Extension(ext); got != want {
			t.Errorf("IsLevel4Extension(%q) = %v", ext, got)
		}
	}
}

func TestLookupImage(t *testing.T) {
	tests := []struct {
		name, recommended string
		production        bool
		deprecated        bool
	}{
		{"ehrql", "v1", true, false},
		{"python", "v2", true, false},
		{"r", "v2", true, false},
		{"stata-mp", "v1", true, false},
		{"jupyter", "v1", true, false},
		{"sqlrunner", "v1", true, false},
		{"cohortextractor", "latest", false, true},
		{"databuilder", "v0", false, true},
	}
	var names []string
	for _, img := range Images() {
		names = append(names, img.Name)
	}
	for i, tc := range tests {
		img, ok := LookupImage(tc.name)
		if !ok {
			t.Errorf("LookupImage(%q) found nothing", tc.name)
			continue
		}
		if names[i] != tc.name {
			t.Errorf("Images()[%d] = %s, want %s", i, names[i], tc.name)
		}
		if img.Recommended != tc.recommended || !img.HasTag(img.Recommended) {
			t.Errorf("%s: recommended %q (tags %q)", tc.name, img.Recommended, img.Tags)
		}
		if img.Production != tc.production || (img.Deprecated != "") != tc.deprecated {
			t.Errorf("%s: production %v, deprecated %q", tc.name, img.Production, img.Deprecated)
		}
		if img.Doc == "" {
			t.Errorf("%s has no Doc", tc.name)
		}
		for _, tag := range img.Tags {
			if !ValidTag(tag) {
				t.Errorf("%s: tag %q is not a valid tag", tc.name, tag)
			}
		}
	}
	if len(names) != len(tests) {
		t.Errorf("Images() = %q", names)
	}
	for _, name := range []string{"", "Rscript", "R", "python:v2", "cox-ipw", "rstudio"} {
		if _, ok := LookupImage(name); ok {
			t.Errorf("LookupImage(%q) found an image", name)
		}
	}
}

func TestDBAction(t *testing.T) {
	tests := []struct {
		image string
		args  string
		want  bool
	}{
		{"ehrql", "generate-dataset analysis/dd.py --output output/d.arrow", true},
		{"ehrql", "generate-measures analysis/m.py --output output/m.csv", true},
		{"ehrql", "create-dummy-tables analysis/dd.py dummy", false},
		{"ehrql", "", false},
		{"ehrql", "--output x generate-dataset", false},
		{"sqlrunner", "", true},
		{"sqlrunner", "analysis/q.sql --output output/r.csv", true},
		{"cohortextractor", "generate_cohort --study-definition s", true},
		{"cohortextractor", "generate_codelist_report", true},
		{"cohortextractor", "generate_measures", false},
		{"databuilder", "generate-dataset dd.py", true},
		{"python", "python generate-dataset", false},
		{"r", "analysis/a.R", false},
	}
	for _, tc := range tests {
		img, _ := LookupImage(tc.image)
		if got := img.DBAction(strings.Fields(tc.args)); got != tc.want {
			t.Errorf("%s %s: DBAction = %v", tc.image, tc.args, got)
		}
	}
	ehrql, _ := LookupImage("ehrql")
	gd, ok := ehrql.LookupCommand("generate-dataset")
	if !ok || !slices.ContainsFunc(gd.Flags, func(f Flag) bool { return f.Name == "--output" && f.TakesValue }) {
		t.Errorf("ehrql generate-dataset lacks --output: %+v", gd)
	}
}

func TestLookupReusableAction(t *testing.T) {
	tests := []struct {
		name, latest, runtime string
		tags                  []string // must all be known
		config                bool
	}{
		{"cox-ipw", "v0.0.41", "r:v2", []string{"v0.0.30", "v0.0.37", "v0.0.39", "v0.0.41"}, false},
		{"kaplan-meier-function", "v0.0.18", "r:v2", []string{"v0.0.14", "v0.0.18"}, false},
		{"diabetes-algo", "v0.0.13", "r:v2", []string{"v0.0.10", "v0.0.13"}, false},
		{"cohort-joiner", "v0.0.58", "python:latest", []string{"v0.0.38", "v0.0.44", "v0.0.46", "v0.0.56"}, false},
		{"deciles-charts", "v0.0.47", "python:latest", []string{"v0.0.33", "v0.0.47"}, false},
		{"cohort-report", "v3.0.0", "python:latest", []string{"v2.0.2", "v3.0.0"}, false},
		{"matching", "v1.2.4", "python:v2", []string{"v1.1.0", "v1.2.4"}, true},
		{"dataset-report", "v0.0.29", "python:latest", nil, false},
		{"demographic-standardisation", "v0.0.1", "r:latest", nil, false},
		{"project-dag", "v0.0.1", "python:v2", nil, false},
		{"safetab", "v3.0.2", "python:latest", []string{"v1.0", "v3.0.2"}, false},
	}
	if n := len(ReusableActions()); n != len(tests) {
		t.Errorf("ReusableActions() has %d actions, want %d", n, len(tests))
	}
	for _, tc := range tests {
		a, ok := LookupReusableAction(tc.name)
		if !ok {
			t.Errorf("LookupReusableAction(%q) found nothing", tc.name)
			continue
		}
		if a.Latest != tc.latest || a.Tags[len(a.Tags)-1] != a.Latest || a.Runtime != tc.runtime {
			t.Errorf("%s: latest %q (last tag %q), runtime %q", tc.name, a.Latest, a.Tags[len(a.Tags)-1], a.Runtime)
		}
		for _, tag := range append(tc.tags, a.Tags...) {
			if !a.HasTag(tag) || !ValidTag(tag) {
				t.Errorf("%s: tag %q unknown or malformed", tc.name, tag)
			}
		}
		if (a.Config != nil) != tc.config {
			t.Errorf("%s: Config = %v", tc.name, a.Config)
		}
		if a.Doc == "" {
			t.Errorf("%s has no Doc", tc.name)
		}
		if _, ok := LookupImage(a.Name); ok {
			t.Errorf("%s is also a built-in image", a.Name)
		}
	}
	for _, name := range []string{"", "Rscript", "python", "cox_ipw", "matching:v1.2.4"} {
		if _, ok := LookupReusableAction(name); ok {
			t.Errorf("LookupReusableAction(%q) found an action", name)
		}
	}

	m, _ := LookupReusableAction("matching")
	for _, key := range []string{"matches_per_case", "match_variables", "index_date_variable"} {
		if k, ok := m.Config.LookupKey(key); !ok || !k.Required {
			t.Errorf("matching config %s: %+v, %v", key, k, ok)
		}
	}
	if k, ok := m.Config.LookupKey("output_format"); !ok || !slices.Equal(k.Enum, []string{"arrow", "csv.gz", "csv"}) {
		t.Errorf("matching output_format: %+v", k)
	}
	if _, ok := m.Config.LookupKey("nonsense"); ok {
		t.Error("matching config has key nonsense")
	}
	types := map[string]bool{"int": true, "string": true, "bool": true, "mapping": true, "list": true, "any": true}
	for _, k := range m.Config.Keys {
		if !types[k.Type] || k.Doc == "" {
			t.Errorf("matching config %s: type %q, doc %q", k.Name, k.Type, k.Doc)
		}
	}
}

// knownBadImages are image names in the corpus that are neither built-in
// images nor reusable actions.
var knownBadImages = map[string]string{
	"Rscript":            "a mistake for r:v2 (MomeMukherjee__winter-ari-hospitalisation-crd)",
	"cohortextractor-v2": "legacy experimental image, run by one version 3 study",
}

// TestCorpusImagesAndTags checks that every image and reusable action used
// by a real study, with its tag, is in the catalogues.
func TestCorpusImagesAndTags(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*", "project.yaml"))
	if len(files) == 0 {
		t.Skipf("no corpus at %s", corpusDir)
	}
	used := map[string]bool{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Actions map[string]struct {
				Run string `yaml:"run"`
			} `yaml:"actions"`
		}
		if err := yaml.Unmarshal(src, &p); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for id, a := range p.Actions {
			words := strings.Fields(a.Run)
			if len(words) == 0 {
				t.Errorf("%s: action %s has no run", f, id)
				continue
			}
			name, tag, _ := strings.Cut(strings.Trim(words[0], `"'`), ":")
			used[name+":"+tag] = true
			if img, ok := LookupImage(name); ok {
				if !img.HasTag(tag) {
					t.Errorf("%s: %s uses %s:%s, not in the image's tags %q", f, id, name, tag, img.Tags)
				}
				continue
			}
			if ra, ok := LookupReusableAction(name); ok {
				if !ra.HasTag(tag) {
					t.Errorf("%s: %s uses %s:%s, not in the action's tags", f, id, name, tag)
				}
				continue
			}
			if _, ok := knownBadImages[name]; !ok {
				t.Errorf("%s: %s uses unknown image %s:%s", f, id, name, tag)
			}
		}
	}
	// The corpus must actually exercise the reusable actions it is known to use.
	for _, use := range []string{"cox-ipw:v0.0.30", "cox-ipw:v0.0.37", "cox-ipw:v0.0.39", "kaplan-meier-function:v0.0.14",
		"kaplan-meier-function:v0.0.18", "diabetes-algo:v0.0.10", "deciles-charts:v0.0.33", "cohort-report:v3.0.0"} {
		if !used[use] {
			t.Errorf("corpus no longer uses %s", use)
		}
	}
}
