package lsp

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.lsp.dev/protocol"

	"github.com/opensafely-core/osls/analysis"
)

// Marker tests: each testdata/markers/*.txt holds the files of a study ("-- name --"
// headers) and an "expect" section. Positions in project.yaml are marked with ⟦name⟧ (the
// markers are removed before the file is used). Expectation lines:
//
//	diag M CODE          a diagnostic with CODE starts at marker M
//	nodiag CODE          no diagnostic with CODE
//	complete M a b !c    completion at M offers a and b but not c
//	hover M text…        hover at M contains text
//	def M T              definition at M goes to marker T (or file:path)
//	refs M A B           references of the action at M are at markers A and B
//	symbols a b          the outline's actions, in order
//	lenses N             N code lenses
//	fix M title…         the quick fix with that title at M turns the file into "fixed/M"
//	run M text…          the run command of the lens at M answers with a message containing text

var markerRE = regexp.MustCompile(`⟦([A-Za-z0-9_]+)⟧`)

type markerFixture struct {
	files   map[string]string
	expect  []string
	fixed   map[string]string
	markers map[string]int // byte offsets in project.yaml
}

func readFixture(t *testing.T, path string) markerFixture {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := markerFixture{files: map[string]string{}, fixed: map[string]string{}, markers: map[string]int{}}
	var name string
	var body strings.Builder
	flush := func() {
		text := body.String()
		body.Reset()
		if name == "" {
			return
		}
		switch {
		case name == "expect":
			for _, l := range strings.Split(text, "\n") {
				if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
					f.expect = append(f.expect, l)
				}
			}
		case strings.HasPrefix(name, "fixed/"):
			f.fixed[strings.TrimPrefix(name, "fixed/")] = text
		default:
			f.files[name] = text
		}
		body.Reset()
	}
	for _, l := range strings.SplitAfter(string(raw), "\n") {
		if strings.HasPrefix(l, "-- ") && strings.HasSuffix(strings.TrimRight(l, "\n"), " --") {
			flush()
			name = strings.TrimSuffix(strings.TrimPrefix(strings.TrimRight(l, "\n"), "-- "), " --")
			continue
		}
		body.WriteString(l)
	}
	flush()
	proj := f.files[analysis.ProjectFile]
	for {
		m := markerRE.FindStringSubmatchIndex(proj)
		if m == nil {
			break
		}
		f.markers[proj[m[2]:m[3]]] = m[0]
		proj = proj[:m[0]] + proj[m[1]:]
	}
	f.files[analysis.ProjectFile] = proj
	return f
}

func TestMarkers(t *testing.T) {
	paths, _ := filepath.Glob("testdata/markers/*.txt")
	if len(paths) == 0 {
		t.Fatal("no marker fixtures")
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			runMarkerFixture(t, readFixture(t, path))
		})
	}
}

func runMarkerFixture(t *testing.T, f markerFixture) {
	c := newTestClient(t, f.files, clientOptions{})
	text := f.files[analysis.ProjectFile]
	lines := analysis.NewLines([]byte(text))
	u := c.open(analysis.ProjectFile, text)
	diags := c.waitDiags(u, 1)
	pos := func(m string) protocol.Position {
		off, ok := f.markers[m]
		if !ok {
			t.Fatalf("no marker %q", m)
		}
		return positionOf(lines, off)
	}
	at := func(m string) map[string]any {
		p := pos(m)
		return map[string]any{"textDocument": map[string]any{"uri": u}, "position": map[string]any{"line": p.Line, "character": p.Character}}
	}
	for _, e := range f.expect {
		fields := strings.Fields(e)
		switch fields[0] {
		case "diag":
			want := pos(fields[1])
			found := false
			for _, d := range diags {
				if d.Range.Start == want && codeOf(d) == fields[2] {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: no %s at %v; got %s", e, fields[2], want, describeDiags(diags))
			}
		case "nodiag":
			if slices.Contains(codesOf(diags), fields[1]) {
				t.Errorf("%s: got %s", e, describeDiags(diags))
			}
		case "complete":
			var list protocol.CompletionList
			c.call("textDocument/completion", at(fields[1]), &list)
			var got []string
			for _, it := range list.Items {
				got = append(got, it.Label)
			}
			for _, w := range fields[2:] {
				if neg := strings.TrimPrefix(w, "!"); neg != w {
					if slices.Contains(got, neg) {
						t.Errorf("%s: unexpected %q in %v", e, neg, got)
					}
				} else if !slices.Contains(got, w) {
					t.Errorf("%s: missing %q in %v", e, w, got)
				}
			}
		case "hover":
			var h protocol.Hover
			c.call("textDocument/hover", at(fields[1]), &h)
			mc, _ := h.Contents.(*protocol.MarkupContent)
			want := strings.SplitN(e, " ", 3)[2]
			if mc == nil || !strings.Contains(mc.Value, want) {
				t.Errorf("%s: hover is %+v", e, h.Contents)
			}
		case "def":
			var locs protocol.LocationSlice
			c.call("textDocument/definition", at(fields[1]), &locs)
			if len(locs) == 0 {
				t.Errorf("%s: no definition", e)
				continue
			}
			if file, ok := strings.CutPrefix(fields[2], "file:"); ok {
				if string(locs[0].URI) != c.uriOf(file) {
					t.Errorf("%s: got %s", e, locs[0].URI)
				}
			} else if locs[0].Range.Start != pos(fields[2]) || string(locs[0].URI) != u {
				t.Errorf("%s: got %+v", e, locs[0])
			}
		case "refs":
			var locs protocol.LocationSlice
			p := at(fields[1])
			p["context"] = map[string]any{"includeDeclaration": false}
			c.call("textDocument/references", p, &locs)
			var got, want []string
			for _, l := range locs {
				got = append(got, strconv.Itoa(int(l.Range.Start.Line))+":"+strconv.Itoa(int(l.Range.Start.Character)))
			}
			for _, m := range fields[2:] {
				p := pos(m)
				want = append(want, strconv.Itoa(int(p.Line))+":"+strconv.Itoa(int(p.Character)))
			}
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: got %v, want %v", e, got, want)
			}
		case "symbols":
			var syms protocol.DocumentSymbolSlice
			c.call("textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": u}}, &syms)
			var got []string
			for _, s := range syms {
				if s.Name == "actions" {
					for _, a := range s.Children {
						got = append(got, a.Name)
					}
				}
			}
			if !slices.Equal(got, fields[1:]) {
				t.Errorf("%s: got %v", e, got)
			}
		case "lenses":
			var lenses []protocol.CodeLens
			c.call("textDocument/codeLens", map[string]any{"textDocument": map[string]any{"uri": u}}, &lenses)
			if n, _ := strconv.Atoi(fields[1]); len(lenses) != n {
				t.Errorf("%s: got %d lenses", e, len(lenses))
			}
		case "run":
			var lenses []protocol.CodeLens
			c.call("textDocument/codeLens", map[string]any{"textDocument": map[string]any{"uri": u}}, &lenses)
			want := pos(fields[1])
			var cmd *protocol.Command
			for i := range lenses {
				if lenses[i].Range.Start == want {
					cmd = &lenses[i].Command
					break
				}
			}
			if cmd == nil {
				t.Errorf("%s: no lens at %v", e, want)
				continue
			}
			var res map[string]any
			c.call("workspace/executeCommand", map[string]any{"command": cmd.Command, "arguments": cmd.Arguments}, &res)
			if msg, _ := res["message"].(string); !strings.Contains(msg, strings.SplitN(e, " ", 3)[2]) {
				t.Errorf("%s: got %v", e, res)
			}
		case "fix":
			title := strings.SplitN(e, " ", 3)[2]
			p := pos(fields[1])
			var actions []map[string]any
			c.call("textDocument/codeAction", map[string]any{
				"textDocument": map[string]any{"uri": u},
				"range":        map[string]any{"start": map[string]any{"line": p.Line, "character": p.Character}, "end": map[string]any{"line": p.Line, "character": p.Character}},
				"context":      map[string]any{"diagnostics": []any{}},
			}, &actions)
			var edits []any
			var titles []string
			for _, a := range actions {
				titles = append(titles, a["title"].(string))
				if a["title"] == title {
					edits = a["edit"].(map[string]any)["changes"].(map[string]any)[u].([]any)
				}
			}
			if edits == nil {
				t.Errorf("%s: no such fix among %q", e, titles)
				continue
			}
			got := applyJSONEdits(t, text, edits)
			if want := f.fixed[fields[1]]; got != want {
				t.Errorf("%s: fixed text:\n%s\nwant:\n%s", e, got, want)
			}
		default:
			t.Fatalf("unknown expectation %q", e)
		}
	}
}

func codeOf(d protocol.Diagnostic) string {
	if s, ok := d.Code.(protocol.String); ok {
		return string(s)
	}
	return ""
}

func describeDiags(ds []protocol.Diagnostic) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, codeOf(d)+"@"+strconv.Itoa(int(d.Range.Start.Line))+":"+strconv.Itoa(int(d.Range.Start.Character)))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// applyJSONEdits applies LSP text edits (decoded as JSON maps) to text, last first.
func applyJSONEdits(t *testing.T, text string, edits []any) string {
	t.Helper()
	lines := analysis.NewLines([]byte(text))
	type edit struct {
		s, e int
		text string
	}
	var es []edit
	for _, raw := range edits {
		m := raw.(map[string]any)
		r := m["range"].(map[string]any)
		conv := func(p any) int {
			pm := p.(map[string]any)
			return lines.OffsetUTF16(int(pm["line"].(float64)), int(pm["character"].(float64)))
		}
		es = append(es, edit{conv(r["start"]), conv(r["end"]), m["newText"].(string)})
	}
	sort.Slice(es, func(i, j int) bool { return es[i].s > es[j].s })
	for _, e := range es {
		text = text[:e.s] + e.text + text[e.e:]
	}
	return text
}
