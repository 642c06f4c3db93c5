package lsp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/opensafely-core/osls/analysis"
	"github.com/opensafely-core/osls/opencodelists"
	"github.com/opensafely-core/osls/opencodelists/fake"
)

// A study with a dataset definition that imports a helper module and reads codelists.
var ehrqlStudy = map[string]string{
	"project.yaml": `version: '4.0'
actions:
  generate_dataset:
    run: ehrql:v1 generate-dataset analysis/dataset_definition.py --output output/dataset.csv
    outputs:
      highly_sensitive:
        dataset: output/dataset.csv
`,
	"analysis/dataset_definition.py": `from ehrql import create_dataset, codelist_from_csv
from ehrql.tables.tpp import patients, clinical_events
from helpers import latest

asthma = codelist_from_csv("codelists/opensafely-asthma.csv", column="code")
dataset = create_dataset()
events = clinical_events.where(clinical_events.snomedct_code.is_in(asthma))
dataset.last = latest(events).date
dataset.define_population(patients.exists_for_patient())
`,
	"analysis/helpers.py": `def latest(frame):
    return frame.sort_by(frame.date).last_for_patient()
`,
	"analysis/other.py":          "from ehrql.tables.tpp import patients\nx = patients.date_of_brith\n",
	"codelists/codelists.txt":    "opensafely/asthma/v1\n",
	"codelists/codelists.json":   "{\n  \"files\": {}\n}\n",
	"local_codelists/mine.csv":   "code,term\n1,x\n",
	"analysis/not_ehrql.py":      "print('hello')\n",
	"codelists/opensafely-x.csv": "code\n1\n",
}

// at returns the position parameters of the first occurrence of needle in text, plus skip
// bytes.
func at(u, text, needle string, skip int) map[string]any {
	i := strings.Index(text, needle)
	if i < 0 {
		panic("no " + needle)
	}
	p := positionOf(analysis.NewLines([]byte(text)), i+skip)
	return map[string]any{"textDocument": map[string]any{"uri": u}, "position": map[string]any{"line": p.Line, "character": p.Character}}
}

func completionLabels(c *testClient, params map[string]any) []string {
	var list protocol.CompletionList
	c.call("textDocument/completion", params, &list)
	var out []string
	for _, it := range list.Items {
		out = append(out, it.Label)
	}
	return out
}

func hasAll(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s: missing %q in %v", what, w, got)
		}
	}
}

func TestEhrQLDiagnostics(t *testing.T) {
	c := newTestClient(t, ehrqlStudy, clientOptions{})
	text := ehrqlStudy["analysis/dataset_definition.py"]
	u := c.open("analysis/dataset_definition.py", text)
	diags := c.waitDiags(u, 1)
	if got := codesOf(diags); !slices.Equal(got, []string{"CL031"}) {
		t.Errorf("diagnostics of the definition: %s", describeDiags(diags))
	}
	// An unsaved edit is analysed.
	v := c.change(u, strings.Replace(text, "latest(events).date", "latest(events).dat", 1))
	if got := codesOf(c.waitDiags(u, v)); !slices.Contains(got, "EQ002") {
		t.Errorf("after the edit: %v", got)
	}
	c.change(u, text)

	// A helper module gets the diagnostics of the definition that imports it; editing it
	// re-analyses the definition.
	helper := ehrqlStudy["analysis/helpers.py"]
	hu := c.open("analysis/helpers.py", helper)
	if got := codesOf(c.waitDiags(hu, 1)); len(got) != 0 {
		t.Errorf("helper: %v", got)
	}
	hv := c.change(hu, strings.Replace(helper, "frame.date", "frame.dat", 1))
	if got := codesOf(c.waitDiags(hu, hv)); !slices.Contains(got, "EQ002") {
		t.Errorf("helper after the edit: %v", got)
	}

	// A file project.yaml does not run, but that imports ehrQL, is analysed on its own.
	ou := c.open("analysis/other.py", ehrqlStudy["analysis/other.py"])
	if got := codesOf(c.waitDiags(ou, 1)); !slices.Contains(got, "EQ002") {
		t.Errorf("standalone definition: %v", got)
	}
	nu := c.open("analysis/not_ehrql.py", ehrqlStudy["analysis/not_ehrql.py"])
	if got := c.waitDiags(nu, 1); len(got) != 0 {
		t.Errorf("plain Python: %v", describeDiags(got))
	}
}

func TestEhrQLCompletionHoverSignatureDefinition(t *testing.T) {
	c := newTestClient(t, ehrqlStudy, clientOptions{})
	text := ehrqlStudy["analysis/dataset_definition.py"]
	u := c.open("analysis/dataset_definition.py", text)
	c.waitDiags(u, 1)

	// Half-typed lines.
	typed := text + "x = events.sort_by(events.date).first_for_patient().\n"
	c.change(u, typed)
	hasAll(t, "after a call", completionLabels(c, at(u, typed, "first_for_patient().", len("first_for_patient()."))), "date", "snomedct_code")
	typed = text + "y = patients.date_of_birth.is_on_or_before(\"2020-01-01\") | events.exists_for_patient()\nz = patients.\n"
	c.change(u, typed)
	hasAll(t, "on a table", completionLabels(c, at(u, typed, "z = patients.", len("z = patients."))), "date_of_birth", "sex", "age_on")
	typed = text + "from ehrql.tables.tpp import \n"
	c.change(u, typed)
	hasAll(t, "import", completionLabels(c, at(u, typed, "tpp import \n", len("tpp import "))), "apcs", "medications")
	typed = text + "c = codelist_from_csv(\"\")\n"
	c.change(u, typed)
	hasAll(t, "codelist path", completionLabels(c, at(u, typed, `codelist_from_csv("")`, len(`codelist_from_csv("`))), "codelists/opensafely-asthma.csv", "local_codelists/mine.csv")
	typed = text + "c = codelist_from_csv(\"local_codelists/mine.csv\", column=\"\")\n"
	c.change(u, typed)
	hasAll(t, "column", completionLabels(c, at(u, typed, `column="")`, len(`column="`))), "code", "term")
	hasAll(t, "keyword", completionLabels(c, at(u, typed, `, column=`, 2)), "column=", "category_column=")

	// Signature help.
	var sh protocol.SignatureHelp
	c.call("textDocument/signatureHelp", at(u, typed, `column="")`, 0), &sh)
	if len(sh.Signatures) != 1 || sh.Signatures[0].Label != "codelist_from_csv(filename, *, column, category_column=None)" {
		t.Errorf("signature help: %+v", sh)
	} else if n, _ := sh.ActiveParameter.Get(); n != 1 {
		t.Errorf("active parameter %d", n)
	}
	c.change(u, text)

	// Hover.
	var h protocol.Hover
	c.call("textDocument/hover", at(u, text, "exists_for_patient", 2), &h)
	if mc, _ := h.Contents.(*protocol.MarkupContent); mc == nil || !strings.Contains(mc.Value, "exists_for_patient()") {
		t.Errorf("hover on a method: %+v", h.Contents)
	}
	c.call("textDocument/hover", at(u, text, "opensafely-asthma.csv", 2), &h)
	if mc, _ := h.Contents.(*protocol.MarkupContent); mc == nil || !strings.Contains(mc.Value, "opensafely/asthma") || !strings.Contains(mc.Value, "Not downloaded") {
		t.Errorf("hover on a codelist path: %+v", h.Contents)
	}

	// Definition: a helper's name goes to its def in helpers.py.
	var locs protocol.LocationSlice
	c.call("textDocument/definition", at(u, text, "latest(events)", 1), &locs)
	if len(locs) != 1 || string(locs[0].URI) != c.uriOf("analysis/helpers.py") || locs[0].Range.Start.Character != 4 {
		t.Errorf("definition of a helper: %+v", locs)
	}
	c.call("textDocument/definition", at(u, text, "opensafely-asthma.csv", 1), &locs)
	if len(locs) != 0 {
		t.Errorf("definition of a missing CSV: %+v", locs)
	}
	c.call("textDocument/definition", at(u, text, "from helpers import latest", len("from helpers import l")), &locs)
	if len(locs) != 1 || string(locs[0].URI) != c.uriOf("analysis/helpers.py") {
		t.Errorf("definition of an import: %+v", locs)
	}
}

func newFakeCodelists(t *testing.T) *fake.Server {
	srv := fake.New(
		fake.Version{ID: "opensafely/asthma/v1", Name: "Asthma", CodingSystem: "snomedct", CSV: "code,term\n195967001,Asthma\n"},
		fake.Version{ID: "opensafely/diabetes/2021-01-01", Name: "Diabetes", CodingSystem: "snomedct", CSV: "code,term\n44054006,Diabetes\n"},
	)
	t.Cleanup(srv.Close)
	return srv
}

func TestCodelistsEditor(t *testing.T) {
	srv := newFakeCodelists(t)
	cache := &opencodelists.Cache{Dir: t.TempDir(), MaxAge: time.Hour}
	c := newTestClient(t, ehrqlStudy, clientOptions{progress: true, options: Options{CodelistCache: cache},
		initOpts: map[string]any{"opencodelistsUrl": srv.URL}})

	// codelists.txt: diagnostics, completion, hover.
	txt := ehrqlStudy["codelists/codelists.txt"]
	tu := c.open("codelists/codelists.txt", txt)
	if got := codesOf(c.waitDiags(tu, 1)); !slices.Contains(got, "CL022") {
		t.Errorf("codelists.txt diagnostics: %v", got)
	}
	typed := txt + "opensafely/dia"
	c.change(tu, typed)
	hasAll(t, "codelist ids", completionLabels(c, at(tu, typed, "opensafely/dia", len("opensafely/dia"))), "opensafely/diabetes/")
	typed = txt + "opensafely/diabetes/"
	c.change(tu, typed)
	hasAll(t, "codelist versions", completionLabels(c, at(tu, typed, "opensafely/diabetes/", len("opensafely/diabetes/"))), "opensafely/diabetes/2021-01-01")
	c.change(tu, txt)
	var h protocol.Hover
	c.call("textDocument/hover", at(tu, txt, "asthma", 0), &h)
	if mc, _ := h.Contents.(*protocol.MarkupContent); mc == nil || !strings.Contains(mc.Value, "**Asthma**") || !strings.Contains(mc.Value, srv.URL+"/codelist/opensafely/asthma/v1/") {
		t.Errorf("hover on a codelists.txt line: %+v", h.Contents)
	}

	// The definition reads an unlisted codelist: the quick fix imports it.
	def := strings.Replace(ehrqlStudy["analysis/dataset_definition.py"], `asthma = `, `diabetes = codelist_from_csv("codelists/opensafely-diabetes.csv", column="code")
asthma = `, 1)
	u := c.open("analysis/dataset_definition.py", def)
	if got := codesOf(c.waitDiags(u, 1)); !slices.Equal(got, []string{"CL032", "CL031"}) {
		t.Errorf("definition diagnostics: %v", got)
	}
	var actions []protocol.CodeAction
	p := at(u, def, "opensafely-diabetes.csv", 1)
	c.call("textDocument/codeAction", map[string]any{"textDocument": p["textDocument"], "range": map[string]any{"start": p["position"], "end": p["position"]}, "context": map[string]any{"diagnostics": []any{}}}, &actions)
	var imp *protocol.CodeAction
	for i := range actions {
		if actions[i].Title == "Import codelist opensafely/diabetes/2021-01-01" {
			imp = &actions[i]
		}
	}
	if imp == nil {
		t.Fatalf("no import action among %+v", actions)
	}
	edits := imp.Edit.Changes[uri.URI(tu)]
	if len(edits) != 1 || edits[0].NewText != "opensafely/diabetes/2021-01-01\n" {
		t.Errorf("edit: %+v", imp.Edit)
	}
	var res map[string]any
	c.call("workspace/executeCommand", map[string]any{"command": imp.Command.Command, "arguments": imp.Command.Arguments}, &res)
	if res["ok"] != true {
		t.Errorf("import: %v", res)
	}
	got, err := os.ReadFile(filepath.Join(c.root, "codelists", "opensafely-diabetes.csv"))
	if err != nil || !strings.Contains(string(got), "44054006") {
		t.Errorf("downloaded CSV: %q %v", got, err)
	}
	if txt, _ := os.ReadFile(filepath.Join(c.root, "codelists", "codelists.txt")); !strings.Contains(string(txt), "opensafely/diabetes/2021-01-01") {
		t.Errorf("codelists.txt: %q", txt)
	}
	c.mu.Lock()
	var kinds []string
	for _, v := range c.progress {
		kinds = append(kinds, v["kind"].(string))
	}
	c.mu.Unlock()
	if len(kinds) < 2 || kinds[0] != "begin" || kinds[len(kinds)-1] != "end" {
		t.Errorf("progress: %v", kinds)
	}

	// The listed but missing one: "Download codelist".
	p = at(u, def, "opensafely-asthma.csv", 1)
	c.call("textDocument/codeAction", map[string]any{"textDocument": p["textDocument"], "range": map[string]any{"start": p["position"], "end": p["position"]}, "context": map[string]any{"diagnostics": []any{}}}, &actions)
	if len(actions) == 0 || actions[0].Title != "Download codelist opensafely/asthma/v1" || actions[0].Edit != nil {
		raw, _ := json.Marshal(actions)
		t.Errorf("download action: %s", raw)
	}
}
