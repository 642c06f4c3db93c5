package outputs

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/opensafely-core/osls/analysis"
)

// Report is the result of checking the moderately_sensitive outputs of some actions.
type Report struct {
	Files []*FileReport
	// Missing lists the output patterns of the checked actions that match no file on disk
	// (the action has not been run, or writes elsewhere).
	Missing []Declared
}

// Declared is one moderately_sensitive output pattern of an action.
type Declared struct {
	Action  string
	Name    string
	Pattern string
}

// Findings returns the findings of every file, in file order.
func (r *Report) Findings() []Finding {
	var out []Finding
	for _, f := range r.Files {
		out = append(out, f.Findings...)
	}
	return out
}

// UnknownActionError reports action names that project.yaml does not define.
type UnknownActionError struct{ Names []string }

func (e *UnknownActionError) Error() string {
	return fmt.Sprintf("no action named %s in project.yaml", strings.Join(e.Names, ", "))
}

// skipDirs are folders never searched for outputs.
var skipDirs = map[string]bool{".git": true, "metadata": true, "node_modules": true, ".venv": true, "venv": true, "__pycache__": true}

// CheckProject checks, in fsys (the study folder), every file on disk that matches a
// moderately_sensitive output pattern of the named actions (all actions when none are
// named). A file claimed by several actions is checked once, for the first.
func CheckProject(fsys fs.FS, project *analysis.Project, actions []string, cfg Config) (*Report, error) {
	decls, err := declared(project, actions)
	if err != nil {
		return nil, err
	}
	files, err := listFiles(fsys, decls)
	if err != nil {
		return nil, err
	}
	rep := &Report{}
	seen := map[string]bool{}
	csvActions := map[string]bool{}
	for _, d := range decls {
		matched := false
		for _, name := range files {
			if !analysis.MatchOutput(d.Pattern, name) {
				continue
			}
			matched = true
			if seen[name] {
				continue
			}
			seen[name] = true
			fr, err := InspectFS(fsys, name, cfg)
			if err != nil {
				return nil, err
			}
			fr.Action, fr.OutputName, fr.Pattern = d.Action, d.Name, d.Pattern
			if fr.Kind == KindCSV {
				csvActions[d.Action] = true
			}
			rep.Files = append(rep.Files, fr)
		}
		if !matched {
			rep.Missing = append(rep.Missing, d)
		}
	}
	// Images need the counts behind them (P3): look for a CSV released by the same action.
	for _, fr := range rep.Files {
		if fr.Kind == KindImage && !csvActions[fr.Action] {
			fc := cfg.forFile(fr.Path)
			fr.Findings = append(fr.Findings, fc.filter([]Finding{fileFinding(fr.Path, analysis.CodeSDCImageNoData,
				fmt.Sprintf("action %s releases this image but no CSV: output checkers need the underlying counts (rounded and redacted) for every figure — add them as a moderately_sensitive CSV", fr.Action))})...)
		}
	}
	return rep, nil
}

// InspectFS opens the file at name in fsys and checks it (see Inspect). The runner calls
// it for each moderately_sensitive file an action wrote.
func InspectFS(fsys fs.FS, name string, cfg Config) (*FileReport, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", name, err)
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	return Inspect(name, f, size, cfg), nil
}

// CheckProjectOutputs checks the outputs of the named actions of the study at root (see
// CheckProject) and returns all findings.
func CheckProjectOutputs(root string, project *analysis.Project, actions []string, cfg Config) ([]Finding, error) {
	rep, err := CheckProject(os.DirFS(root), project, actions, cfg)
	if err != nil {
		return nil, err
	}
	return rep.Findings(), nil
}

// declared lists the moderately_sensitive outputs of the named actions, in project order.
func declared(project *analysis.Project, actions []string) ([]Declared, error) {
	want := map[string]bool{}
	var unknown []string
	for _, a := range actions {
		if project.ActionByID(a) == nil {
			unknown = append(unknown, a)
		}
		want[a] = true
	}
	if len(unknown) > 0 {
		return nil, &UnknownActionError{Names: unknown}
	}
	var out []Declared
	for _, a := range project.Actions {
		if len(want) > 0 && !want[a.ID] {
			continue
		}
		for _, o := range a.Outputs {
			if o.Level != "moderately_sensitive" || o.Path == "" {
				continue
			}
			name := ""
			if o.NameNode != nil {
				name = o.NameNode.Value
			}
			out = append(out, Declared{Action: a.ID, Name: name, Pattern: o.Path})
		}
	}
	return out, nil
}

// listFiles walks only the folders the patterns can match in (their literal leading
// directories), skipping version control and metadata.
func listFiles(fsys fs.FS, decls []Declared) ([]string, error) {
	roots := map[string]bool{}
	for _, d := range decls {
		dir := path.Dir(d.Pattern)
		if i := strings.IndexByte(dir, '*'); i >= 0 {
			dir = path.Dir(dir[:i] + "x")
		}
		roots[dir] = true
	}
	var files []string
	seen := map[string]bool{}
	for root := range roots {
		err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if p == root {
					return fs.SkipDir // the folder does not exist yet
				}
				return nil
			}
			if d.IsDir() {
				if p != root && skipDirs[d.Name()] {
					return fs.SkipDir
				}
				return nil
			}
			if !seen[p] {
				seen[p] = true
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", root, err)
		}
	}
	sort.Strings(files)
	return files, nil
}

// ProjectDiagnostics places the findings of a report on project.yaml: one diagnostic per
// output pattern with findings, on its path, with the severity and code of the worst finding
// and a count of the rest. The language server shows these next to the action.
func ProjectDiagnostics(project *analysis.Project, rep *Report) []analysis.Diagnostic {
	type key struct{ action, pattern string }
	byPattern := map[key][]Finding{}
	for _, fr := range rep.Files {
		k := key{fr.Action, fr.Pattern}
		byPattern[k] = append(byPattern[k], fr.Findings...)
	}
	var out []analysis.Diagnostic
	for _, a := range project.Actions {
		for _, o := range a.Outputs {
			fs := byPattern[key{a.ID, o.Path}]
			if len(fs) == 0 || o.Node == nil {
				continue
			}
			delete(byPattern, key{a.ID, o.Path})
			worst := fs[0]
			files := map[string]bool{}
			for _, f := range fs {
				if f.Severity < worst.Severity {
					worst = f
				}
				files[f.File] = true
			}
			msg := fmt.Sprintf("%s: %s", worst.File, worst.Message)
			if len(fs) > 1 {
				msg += fmt.Sprintf(" (%d disclosure-control findings in %d file(s); run osls outputs check %s)", len(fs), len(files), a.ID)
			}
			out = append(out, analysis.Diagnostic{File: project.Path, Range: o.Node.Range, Severity: worst.Severity, Code: worst.Code, Message: msg})
		}
	}
	return out
}
