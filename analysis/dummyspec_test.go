package analysis

import (
	"strings"
	"testing"
)

const dummySpecDefinition = `from ehrql import create_dataset, case, when
from ehrql.tables.core import patients, clinical_events

dataset = create_dataset()
dataset.define_population(patients.exists_for_patient())
dataset.has_event = clinical_events.exists_for_patient()
dataset.sex = patients.sex
dataset.age = patients.age_on("2024-01-01")
dataset.dob = patients.date_of_birth
dataset.band = case(when(dataset.age < 40).then("young"), otherwise="old")
`

func dummySpecVars(t *testing.T) []DummyVarInfo {
	t.Helper()
	def := AnalyzeDefinition(MapSnapshot{"analysis/d.py": dummySpecDefinition}, "analysis/d.py", DefinitionOptions{})
	vars := DummyVariablesOf(def)
	if len(vars) != 5 {
		t.Fatalf("variables: %+v", vars)
	}
	return vars
}

func TestDummySpecChecks(t *testing.T) {
	vars := dummySpecVars(t)
	for _, tt := range []struct {
		name, text string
		codes      []string
		msg        string
	}{
		{"valid", `variables:
  has_event: {true_proportion: 0.3, null_proportion: 0}
  sex:
    categories: {female: 51, male: 49}
  age:
    null_proportion: 0.1
    distribution: {kind: normal, mean: 50, sd: 15, min: 0, max: 110}
  dob:
    dates: {from: 1950-01-01, to: 2000-12-31}
  band:
    categories: {young: 1, old: 3}
`, nil, ""},
		{"syntax", "variables:\n  sex: [\n", []string{"EQ100"}, ""},
		{"unknown top key", "variable:\n  sex: {}\n", []string{"EQ101"}, "did you mean `variables`"},
		{"unknown variable", "variables:\n  sexx:\n    null_proportion: 0.1\n", []string{"EQ102"}, "did you mean `sex`"},
		{"unknown var key", "variables:\n  age:\n    distrbution: {kind: uniform, min: 1, max: 2}\n", []string{"EQ101"}, "did you mean `distribution`"},
		{"true for int", "variables:\n  age:\n    true_proportion: 0.5\n", []string{"EQ103"}, "use distribution"},
		{"dates for bool", "variables:\n  has_event:\n    dates: {from: 2020-01-01, to: 2020-02-01}\n", []string{"EQ103"}, ""},
		{"distribution for str", "variables:\n  sex:\n    distribution: {kind: uniform, min: 1, max: 2}\n", []string{"EQ103"}, ""},
		{"proportion above 1", "variables:\n  sex:\n    null_proportion: 1.5\n", []string{"EQ104"}, "between 0 and 1"},
		{"proportions add up", "variables:\n  has_event: {true_proportion: 0.7, null_proportion: 0.4}\n", []string{"EQ104"}, "more than 1"},
		{"normal without sd", "variables:\n  age:\n    distribution: {kind: normal, mean: 3}\n", []string{"EQ104"}, "mean and sd"},
		{"unknown kind", "variables:\n  age:\n    distribution: {kind: gamma}\n", []string{"EQ104"}, "normal, uniform, poisson"},
		{"min above max", "variables:\n  age:\n    distribution: {kind: uniform, min: 5, max: 1}\n", []string{"EQ104"}, ""},
		{"bad date", "variables:\n  dob:\n    dates: {from: 2020-13-01, to: 2021-01-01}\n", []string{"EQ104"}, ""},
		{"unknown category", "variables:\n  sex:\n    categories: {F: 1, male: 1}\n", []string{"EQ105"}, "female, male"},
		{"case category", "variables:\n  band:\n    categories: {middle: 1}\n", []string{"EQ105"}, "young, old"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := AnalyzeDummySpec("analysis/d.dummy.yaml", []byte(tt.text), vars)
			var codes []string
			for _, d := range diags {
				codes = append(codes, d.Code)
				if tt.msg != "" && !strings.Contains(d.Message, tt.msg) {
					t.Errorf("%s: message %q lacks %q", d.Code, d.Message, tt.msg)
				}
				if d.File != "analysis/d.dummy.yaml" || d.Range.End < d.Range.Start {
					t.Errorf("bad placement %+v", d)
				}
			}
			if strings.Join(codes, ",") != strings.Join(tt.codes, ",") {
				t.Errorf("codes %v, want %v: %+v", codes, tt.codes, diags)
			}
		})
	}
}

// Without the definition's variables (it could not be analysed) only the file's own shape
// is checked: no variable is unknown.
func TestDummySpecWithoutDefinition(t *testing.T) {
	spec, diags := AnalyzeDummySpec("x.dummy.yaml", []byte("variables:\n  anything:\n    true_proportion: 0.2\n"), nil)
	if len(diags) != 0 || spec.Variables["anything"].TrueProportion == nil {
		t.Errorf("%+v %+v", spec, diags)
	}
}

func TestDummySpecPaths(t *testing.T) {
	if got := DummySpecPaths("analysis/dataset_definition.py")[0]; got != "analysis/dataset_definition.dummy.yaml" {
		t.Errorf("sidecar %s", got)
	}
	if d, ok := DefinitionOfDummySpec("analysis/dataset_definition.dummy.yaml"); !ok || d != "analysis/dataset_definition.py" {
		t.Errorf("definition %s %v", d, ok)
	}
	if _, ok := DefinitionOfDummySpec("project.yaml"); ok {
		t.Error("project.yaml is no sidecar")
	}
	b, err := DummySpecJSONSchema()
	if err != nil || !strings.Contains(string(b), `"null_proportion"`) || !strings.Contains(string(b), `"poisson"`) {
		t.Errorf("schema: %v\n%s", err, b)
	}
}

func TestDummySpecCompletion(t *testing.T) {
	vars := dummySpecVars(t)
	labels := func(text string) string {
		off := strings.Index(text, "|")
		text = strings.Replace(text, "|", "", 1)
		var out []string
		for _, c := range DummySpecCompletions([]byte(text), off, vars) {
			out = append(out, c.Label)
		}
		return strings.Join(out, ",")
	}
	for _, tt := range []struct{ text, want string }{
		{"|", "variables"},
		{"variables:\n  |", "has_event,sex,age,dob,band"},
		{"variables:\n  sex:\n    null_proportion: 0.1\n  a|", "age"},
		{"variables:\n  has_event:\n    |", "null_proportion,true_proportion"},
		{"variables:\n  age:\n    |", "null_proportion,categories,distribution"},
		{"variables:\n  dob:\n    d|", "dates"},
		{"variables:\n  age:\n    distribution:\n      kind: |", "normal,uniform,poisson"},
		{"variables:\n  age:\n    distribution:\n      |", "kind,mean,sd,min,max"},
		{"variables:\n  age:\n    distribution: {kind: normal, m|", "mean,min,max"},
		{"variables:\n  sex:\n    categories:\n      |", "female,intersex,male,unknown"},
		{"variables:\n  dob:\n    dates:\n      |", "from,to"},
	} {
		if got := labels(tt.text); got != tt.want {
			t.Errorf("%q: got %s, want %s", tt.text, got, tt.want)
		}
	}
}

// FuzzDummySpec feeds arbitrary text to the sidecar's checks and completion: no panics, and
// diagnostics inside the text.
func FuzzDummySpec(f *testing.F) {
	f.Add("variables:\n  sex:\n    categories: {female: 1}\n", 10)
	f.Add("variables:\n  age:\n    distribution: {kind: normal, mean: 1, sd: 2, min: 3}\n", 40)
	f.Add("variables: [\n", 3)
	vars := []DummyVarInfo{{Name: "sex", Categories: []string{"female", "male"}}, {Name: "age"}}
	f.Fuzz(func(t *testing.T, text string, off int) {
		_, diags := AnalyzeDummySpec("d.dummy.yaml", []byte(text), vars)
		for _, d := range diags {
			if d.Range.Start < 0 || d.Range.End > len(text) || d.Range.End < d.Range.Start {
				t.Fatalf("range %+v outside %d bytes", d.Range, len(text))
			}
		}
		DummySpecCompletions([]byte(text), off, vars)
	})
}
