package analysis

import (
	"fmt"
	"path"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/opensafely-core/osls/analysis/python"
	"github.com/opensafely-core/osls/analysis/qm"
	"github.com/opensafely-core/osls/schema"
)

// DefinitionOptions say how a dataset definition is run.
type DefinitionOptions struct {
	// Version is the ehrQL API generation (schema.EhrQLV1 or schema.EhrQLV0).
	Version string
	// Params are the user arguments after `--` on the run line; nil when unknown (the
	// analysis then follows every branch that depends on them).
	Params []string
	// Command is the ehrQL command that runs the file ("generate-dataset",
	// "generate-measures", ...), or "" when the file is only opened in the editor.
	Command string
}

// Definition is the result of analysing a dataset definition: the query model it builds,
// diagnostics (in the entry file and the local modules it imports), and per-file type and
// definition information for hover and go to definition.
type Definition struct {
	Entry       string
	Version     string
	Dataset     *qm.Dataset
	Measures    *qm.Measures
	Diagnostics []Diagnostic
	Types       map[string][]TypeInfo
	Defs        map[string][]DefInfo
	Files       []string // the entry and every local module it loaded
	Complete    bool     // false when the analysis stopped at its step limit
}

// panicHook, when set (by tests and the fuzzer), sees internal failures that
// AnalyzeDefinition would otherwise swallow.
var panicHook func(r any, stack []byte)

// AnalyzeDefinition interprets a dataset definition abstractly. It never panics: an
// internal failure yields a Definition with no diagnostics.
func AnalyzeDefinition(snap Snapshot, entry string, opts DefinitionOptions) (def *Definition) {
	if opts.Version == "" {
		opts.Version = schema.EhrQLV1
	}
	def = &Definition{Entry: entry, Version: opts.Version, Types: map[string][]TypeInfo{}, Defs: map[string][]DefInfo{}}
	defer func() {
		if r := recover(); r != nil {
			if panicHook != nil {
				panicHook(r, debug.Stack())
			}
			def.Diagnostics = nil
			def.Complete = false
		}
	}()
	in := &interp{
		snap: snap, version: opts.Version, params: opts.Params, entry: entry,
		mods: map[string]*modState{}, seen: map[string]bool{},
		types: def.Types, defs: def.Defs, csvCache: map[string]*csvInfo{},
		perms: map[string]bool{}, tablesUsed: map[string]python.Range{}, tableFile: map[string]string{},
	}
	m := in.loadModule(entry)
	if m == nil {
		return def
	}
	def.Complete = !in.exhausted
	in.finish(m, opts, def)
	for p := range in.mods {
		def.Files = append(def.Files, p)
	}
	sort.Strings(def.Files)
	def.Diagnostics = in.diags
	SortDiagnostics(def.Diagnostics)
	return def
}

// finish applies the whole-file rules once the module has run.
func (in *interp) finish(m *modState, opts DefinitionOptions, def *Definition) {
	firstLine := Range{0, 0}
	if l := NewLines(m.src); l.Count() > 0 {
		firstLine = Range{0, l.End(0)}
	}
	if d, ok := m.globals.vars["dataset"].(*datasetV); ok {
		def.Dataset = d.st.ds
		d.st.ds.Permissions = sortedPerms(in.perms)
		_, hasMeasures := m.globals.vars["measures"]
		needsPopulation := opts.Command == "generate-dataset" || opts.Command == "generate_dataset" || (opts.Command == "" && !hasMeasures)
		if !d.st.popDefined && def.Complete && needsPopulation {
			in.diags = append(in.diags, Diagnostic{File: d.st.file, Range: Range{d.st.created.Start, d.st.created.End}, Severity: SeverityError, Code: CodeEQPopulationNone.ID,
				Message: "A population has not been defined; define one with define_population()"})
		}
	}
	if ms, ok := m.globals.vars["measures"].(*measuresV); ok {
		def.Measures = ms.st.m
		ms.st.m.Permissions = sortedPerms(in.perms)
	}
	_, anyDataset := m.globals.vars["dataset"]
	_, anyMeasures := m.globals.vars["measures"]
	switch opts.Command {
	case "generate-dataset", "generate_dataset":
		if !anyDataset && def.Complete && !in.unresolvedStar(m) {
			in.diags = append(in.diags, Diagnostic{File: m.path, Range: firstLine, Severity: SeverityError, Code: CodeEQNoDataset.ID,
				Message: "Did not find a variable called 'dataset' in dataset definition file: assign one, e.g. `dataset = create_dataset()`"})
		}
	case "generate-measures":
		if !anyMeasures && def.Complete && !in.unresolvedStar(m) {
			in.diags = append(in.diags, Diagnostic{File: m.path, Range: firstLine, Severity: SeverityError, Code: CodeEQNoDataset.ID,
				Message: "Did not find a variable called 'measures' in measures definition file: assign one, e.g. `measures = create_measures()`"})
		}
	}
	if !in.perms["*"] {
		var ps []string
		for p := range in.tablesUsed {
			ps = append(ps, p)
		}
		sort.Strings(ps)
		for _, p := range ps {
			if in.perms[p] {
				continue
			}
			r := in.tablesUsed[p]
			in.diags = append(in.diags, Diagnostic{File: in.tableFile[p], Range: Range{r.Start, r.End}, Severity: SeverityWarning, Code: CodeEQPermission.ID,
				Message: fmt.Sprintf("this table needs the permission %q: add `claim_permissions(%q)` to use it with dummy data, and ask for the permission before running on the server", p, p)})
		}
	}
}

// unresolvedStar reports whether the module star-imports something we could not read, or
// rewrites its globals, so that a missing `dataset` may come from there.
func (in *interp) unresolvedStar(m *modState) bool {
	for _, s := range m.file.Module.Body {
		switch s := s.(type) {
		case *python.ImportFrom:
			if s.Star {
				return true
			}
		case *python.ExprStmt:
			if c, ok := s.X.(*python.Call); ok {
				if a, ok := c.Func.(*python.Attribute); ok && a.Attr == "update" {
					if inner, ok := a.Value.(*python.Call); ok {
						if n, ok := inner.Func.(*python.Name); ok && (n.ID == "globals" || n.ID == "vars") {
							return true
						}
					}
				}
			}
		}
	}
	return false
}

func sortedPerms(m map[string]bool) []string {
	var out []string
	for k := range m {
		if k != "*" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// EhrQLEntry is a dataset definition that project.yaml runs.
type EhrQLEntry struct {
	File    string
	Version string
	Command string
	Params  []string
	Action  *Action
}

// EhrQLEntries lists the dataset definitions the project's ehrQL actions run, with the API
// version from each action's image. A file run by several actions appears once per
// (version, command).
func EhrQLEntries(p *Project) []EhrQLEntry {
	var out []EhrQLEntry
	seen := map[string]bool{}
	for _, a := range p.Actions {
		version, ok := schema.EhrQLVersionForImage(a.Image, a.Tag)
		if !ok {
			continue
		}
		args := a.Args()
		if len(args) < 2 {
			continue
		}
		cmd := args[0].Text
		switch cmd {
		case "generate-dataset", "generate_dataset", "generate-measures", "create-dummy-tables", "assure", "dump-dataset-sql", "test-connection":
		default:
			continue
		}
		var file string
		var params []string
		for i, w := range args[1:] {
			if w.Text == "--" {
				for _, x := range args[i+2:] {
					params = append(params, x.Text)
				}
				break
			}
			if file == "" && strings.HasSuffix(w.Text, ".py") && !strings.HasPrefix(w.Text, "-") {
				file = strings.TrimPrefix(path.Clean(w.Text), "/workspace/")
			}
		}
		if file == "" {
			continue
		}
		k := file + "\x00" + version + "\x00" + cmd
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, EhrQLEntry{File: file, Version: version, Command: cmd, Params: params, Action: a})
	}
	return out
}

// CheckDefinitions analyses every dataset definition the project runs and returns their
// diagnostics (each file's once, even when several actions run it).
func CheckDefinitions(snap Snapshot, p *Project) []Diagnostic {
	var out []Diagnostic
	seen := map[string]bool{}
	for _, e := range EhrQLEntries(p) {
		if !snap.Exists(e.File) {
			continue // project.yaml's own check reports the missing file
		}
		// Parameters differ between actions that share a file: analyse with unknown
		// parameters so every branch is followed once.
		def := AnalyzeDefinition(snap, e.File, DefinitionOptions{Version: e.Version, Command: e.Command})
		for _, d := range def.Diagnostics {
			k := fmt.Sprintf("%s:%d:%d:%s:%s", d.File, d.Range.Start, d.Range.End, d.Code, d.Message)
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, d)
		}
	}
	return out
}
