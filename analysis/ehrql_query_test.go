package analysis

import (
	"slices"
	"strings"
	"testing"

	"github.com/opensafely-core/osls/schema"
)

// queryFixture is a dataset definition for the query tests; "‸" marks the cursor.
const queryPrelude = `from ehrql import create_dataset, codelist_from_csv, days
from ehrql.tables.tpp import patients, clinical_events, medications
from helpers import recent

asthma = codelist_from_csv("codelists/opensafely-asthma.csv", column="code")
dataset = create_dataset()
events = clinical_events.where(clinical_events.snomedct_code.is_in(asthma))
dataset.define_population(patients.exists_for_patient())
`

func newQuery(t *testing.T, body string) (*EhrQLQuery, int) {
	t.Helper()
	text := queryPrelude + body
	off := strings.Index(text, "‸")
	if off < 0 {
		t.Fatalf("no cursor in %q", body)
	}
	text = text[:off] + text[off+len("‸"):]
	snap := MapSnapshot{
		"analysis/dd.py":                    text,
		"analysis/helpers.py":               "def recent(frame):\n    return frame.sort_by(frame.date).last_for_patient()\n",
		"codelists/opensafely-asthma.csv":   "code,term,category\n195967001,Asthma,1\n",
		"codelists/codelists.txt":           "opensafely/asthma/v1\nopensafely/diabetes/v2\n",
		"local_codelists/my-list.csv":       "snomed,desc\n1,x\n",
		"output/dataset.csv":                "patient_id\n",
		"analysis/not_a_definition.py":      "print(1)\n",
		"analysis/standalone_definition.py": "from ehrql import create_dataset\n",
	}
	reanalyze := func(src []byte) *Definition {
		s := MapSnapshot{}
		for k, v := range snap {
			s[k] = v
		}
		s["analysis/dd.py"] = string(src)
		return AnalyzeDefinition(s, "analysis/dd.py", DefinitionOptions{Version: schema.EhrQLV1})
	}
	q := &EhrQLQuery{Snap: snap, File: "analysis/dd.py", Src: []byte(text), Def: reanalyze([]byte(text)), Reanalyze: reanalyze}
	return q, off
}

func eqLabels(cs []Completion) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Label)
	}
	return out
}

func TestEhrQLQueryComplete(t *testing.T) {
	tests := []struct {
		body string
		want []string // "!x" means x must not be offered
	}{
		{"x = events.‸", []string{"date", "snomedct_code", "where", "sort_by", "count_for_patient", "!first_for_patient", "!__add__"}},
		{"x = events.da‸", []string{"date"}},
		{"x = events.sort_by(events.date).‸", []string{"first_for_patient", "date"}},
		{"x = events.sort_by(events.date).first_for_patient().‸", []string{"date", "snomedct_code", "!where", "!sort_by"}},
		{"x = patients.‸", []string{"date_of_birth", "sex", "age_on", "exists_for_patient"}},
		{"x = patients.date_of_birth.‸", []string{"year", "is_before", "!count_for_patient"}},
		{"x = events.date.‸", []string{"maximum_for_patient", "year"}},
		{"x = events.where(events.date.is_after(‸", nil},
		{"x = events.where(events.date.‸)", []string{"is_after", "year"}},
		{"dataset.‸", []string{"define_population", "configure_dummy_data"}},
		{"from ehrql.tables.tpp import ‸", []string{"apcs", "addresses", "patients"}},
		{"from ehrql.tables.tpp import patients, ap‸", []string{"apcs", "!patients"}},
		{"from ehrql import ‸", []string{"create_dataset", "codelist_from_csv", "days", "case", "when"}},
		{"from ehrql.tab‸", []string{"tables"}},
		{`x = codelist_from_csv("‸`, []string{"codelists/opensafely-asthma.csv", "codelists/opensafely-diabetes.csv", "local_codelists/my-list.csv", "!output/dataset.csv"}},
		{`x = codelist_from_csv("codelists/opensafely-asthma.csv", column="‸`, []string{"code", "term", "category"}},
		{`x = codelist_from_csv("codelists/opensafely-asthma.csv", column="code", category_column="cat‸")`, []string{"category", "!code"}},
		{"x = codelist_from_csv(\"codelists/opensafely-asthma.csv\", ‸", []string{"column=", "category_column=", "!filename="[:0] + "!x"}},
		{"dataset.configure_dummy_data(‸)", []string{"population_size="}},
		{"x = events.sort_by(events.date).first_for_patient(‸)", nil},
	}
	for _, tt := range tests {
		q, off := newQuery(t, tt.body)
		got := eqLabels(q.Complete(off))
		for _, w := range tt.want {
			if neg, ok := strings.CutPrefix(w, "!"); ok {
				if slices.Contains(got, neg) {
					t.Errorf("%s: unexpected %q in %v", tt.body, neg, got)
				}
			} else if !slices.Contains(got, w) {
				t.Errorf("%s: missing %q in %v", tt.body, w, got)
			}
		}
	}
}

func TestEhrQLQueryHoverSignatureDefinition(t *testing.T) {
	q, off := newQuery(t, "x = patients.date_of_b‸irth\n")
	h, ok := q.Hover(off)
	if !ok || !strings.Contains(h.Markdown, "DatePatientSeries") || !strings.Contains(h.Markdown, "birth") {
		t.Errorf("hover on a column: %+v", h)
	}
	q, off = newQuery(t, "x = clinical_ev‸ents\n")
	if h, ok := q.Hover(off); !ok || !strings.Contains(h.Markdown, "EventFrame (clinical_events)") {
		t.Errorf("hover on a table: %+v", h)
	}
	q, off = newQuery(t, "x = events.sort_by(events.date).first_for_patient().da‸te\n")
	if h, ok := q.Hover(off); !ok || !strings.Contains(h.Markdown, "DatePatientSeries") {
		t.Errorf("hover after a call: %+v", h)
	}

	q, off = newQuery(t, `x = codelist_from_csv("codelists/opensafely-asthma.csv", ‸`)
	sh, ok := q.SignatureHelp(off)
	if !ok || sh.Label != "codelist_from_csv(filename, *, column, category_column=None)" || sh.Active != 1 {
		t.Errorf("signature help: %+v", sh)
	} else if p := sh.Params[sh.Active]; sh.Label[p.Start:p.End] != "column" {
		t.Errorf("active parameter is %q", sh.Label[p.Start:p.End])
	}
	q, off = newQuery(t, `x = events.date.is_on_or_between("2020-01-01", ‸`)
	if sh, ok := q.SignatureHelp(off); !ok || sh.Active != 1 || !strings.HasPrefix(sh.Label, "is_on_or_between(") {
		t.Errorf("signature help of a method: %+v", sh)
	}
	q, off = newQuery(t, `x = codelist_from_csv("codelists/opensafely-asthma.csv", category_column=‸`)
	if sh, ok := q.SignatureHelp(off); !ok || sh.Active != 2 {
		t.Errorf("signature help of a keyword: %+v", sh)
	}

	q, off = newQuery(t, "x = rec‸ent(events)\n")
	locs := q.Definition(off)
	if len(locs) != 1 || locs[0].File != "analysis/helpers.py" || locs[0].Range.Start != 4 {
		t.Errorf("definition of a helper: %+v", locs)
	}
	q, _ = newQuery(t, "‸")
	off = strings.Index(string(q.Src), "opensafely-asthma.csv")
	if locs := q.Definition(off); len(locs) != 1 || locs[0].File != "codelists/opensafely-asthma.csv" {
		t.Errorf("definition of a codelist path: %+v", locs)
	}
}

func TestEhrQLAnalyses(t *testing.T) {
	q, _ := newQuery(t, "‸")
	snap := q.Snap
	p := ParseProject(ProjectFile, []byte("version: '4.0'\nactions:\n  a:\n    run: ehrql:v1 generate-dataset analysis/dd.py --output output/dataset.csv\n    outputs: {highly_sensitive: {d: output/dataset.csv}}\n"))
	n := 0
	analyze := func(e EhrQLEntry) *Definition {
		n++
		return AnalyzeDefinition(snap, e.File, DefinitionOptions{Version: e.Version, Command: e.Command})
	}
	if defs := EhrQLAnalyses(snap, p, "analysis/helpers.py", analyze); len(defs) != 1 || defs[0].Entry != "analysis/dd.py" {
		t.Errorf("a helper is covered by the definition that imports it: %v", defs)
	}
	if defs := EhrQLAnalyses(snap, p, "analysis/standalone_definition.py", analyze); len(defs) != 1 || defs[0].Entry != "analysis/standalone_definition.py" {
		t.Errorf("a file that imports ehrql is its own definition: %v", defs)
	}
	if defs := EhrQLAnalyses(snap, p, "analysis/not_a_definition.py", analyze); len(defs) != 0 {
		t.Errorf("other Python files are not analysed: %v", defs)
	}
}
