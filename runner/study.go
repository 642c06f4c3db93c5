package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/opensafely-core/osls/analysis"
)

// Study is a study folder with its parsed project.yaml, as the planner and the jobs see it.
type Study struct {
	Dir     string // absolute
	Project *analysis.Project
	Text    []byte // project.yaml as read

	files   map[string]fs.FileInfo // study-relative path → Lstat info, excluding .git and metadata/
	records map[string]*Record
}

// ProjectError is returned when project.yaml has errors that stop any run.
type ProjectError struct {
	Diagnostics []analysis.Diagnostic
	Text        []byte // project.yaml, for line numbers
}

func (e *ProjectError) Error() string {
	var b strings.Builder
	b.WriteString("project.yaml has errors; fix them before running (osls check shows them all):")
	lines := analysis.NewLines(e.Text)
	for _, d := range e.Diagnostics {
		line, col := lines.CharPos(d.Range.Start)
		fmt.Fprintf(&b, "\n  %s:%d:%d: %s %s", analysis.ProjectFile, line+1, col+1, d.Code, d.Message)
	}
	return b.String()
}

// OpenStudy reads and checks the study in dir. Errors in project.yaml (by osls check's rules)
// come back as a *ProjectError, with the study still returned for callers that want it.
func OpenStudy(dir string) (*Study, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	text, err := os.ReadFile(filepath.Join(abs, analysis.ProjectFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no %s in %s: run in the study's folder, or give it with --project-dir", analysis.ProjectFile, abs)
		}
		return nil, fmt.Errorf("reading %s: %w", analysis.ProjectFile, err)
	}
	st := &Study{Dir: abs, Text: text, Project: analysis.ParseProject(analysis.ProjectFile, text), records: map[string]*Record{}}
	var errs []analysis.Diagnostic
	for _, d := range analysis.CheckProject(analysis.NewFSSnapshot(os.DirFS(abs)), analysis.ProjectFile, text) {
		if d.Severity == analysis.SeverityError {
			errs = append(errs, d)
		}
	}
	if len(errs) > 0 {
		return st, &ProjectError{Diagnostics: errs, Text: text}
	}
	return st, nil
}

// Files lists the study's files (study-relative, sorted), leaving out .git and metadata/.
func (st *Study) Files() []string {
	st.scan()
	out := make([]string, 0, len(st.files))
	for p := range st.files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// rescan forgets the file listing, after jobs changed the study.
func (st *Study) rescan() { st.files = nil; st.records = map[string]*Record{} }

func (st *Study) scan() {
	if st.files != nil {
		return
	}
	st.files = listFiles(st.Dir, func(rel string) bool { return rel == ".git" || rel == MetadataDir })
}

// listFiles walks root and returns every non-directory entry by slash-separated relative path,
// with its Lstat info; skip says which folders to leave out.
func listFiles(root string, skip func(rel string) bool) map[string]fs.FileInfo {
	files := map[string]fs.FileInfo{}
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, rerr := filepath.Rel(root, p)
		if rerr != nil || rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if skip != nil && skip(rel) {
				return filepath.SkipDir
			}
			return nil
		}
		if info, err := d.Info(); err == nil {
			files[rel] = info
		}
		return nil
	})
	return files
}

// record returns the action's last run record, cached.
func (st *Study) record(id string) *Record {
	if r, ok := st.records[id]; ok {
		return r
	}
	r, _ := ReadRecord(st.Dir, id)
	st.records[id] = r
	return r
}

// isOutput reports whether a study path matches any action's output pattern.
func (st *Study) isOutput(p string) bool {
	for _, a := range st.Project.Actions {
		for _, o := range a.Outputs {
			if o.Path != "" && analysis.MatchOutput(o.Path, p) {
				return true
			}
		}
	}
	return false
}

// outputsOf lists the files an action's dependants receive: those of its last successful
// run that still exist, or failing a record (outputs made by another tool), the study files
// matching its patterns.
func (st *Study) outputsOf(a *analysis.Action) []FileRecord {
	st.scan()
	if r := st.record(a.ID); r != nil && r.Status == StatusSucceeded {
		var out []FileRecord
		for _, o := range r.Outputs {
			if _, ok := st.files[o.Path]; ok {
				out = append(out, o)
			}
		}
		return out
	}
	var out []FileRecord
	for _, p := range st.Files() {
		for _, o := range a.Outputs {
			if o.Path != "" && analysis.MatchOutput(o.Path, p) {
				out = append(out, FileRecord{Path: p, Level: o.Level, Action: a.ID})
				break
			}
		}
	}
	return out
}

// codelistRef finds codelist paths written in a definition.
var codelistRef = regexp.MustCompile(`codelists/[A-Za-z0-9_./-]+\.csv`)

// codeFiles lists the study files an action's run line names (its script, definition,
// dummy data …), which are not outputs of any action; for ehrQL, the codelists its
// definition names as well.
func (st *Study) codeFiles(a *analysis.Action) []string {
	st.scan()
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		p = strings.TrimPrefix(p, "/workspace/")
		if p == "" || path.IsAbs(p) {
			return
		}
		p = path.Clean(p)
		if strings.HasPrefix(p, "../") || p == ".." || seen[p] {
			return
		}
		info, ok := st.files[p]
		if !ok || !info.Mode().IsRegular() || st.isOutput(p) {
			return
		}
		seen[p] = true
		out = append(out, p)
	}
	for _, w := range a.Args() {
		t := w.Text
		if strings.HasPrefix(t, "-") {
			if i := strings.IndexByte(t, '='); i >= 0 {
				t = t[i+1:]
			} else {
				continue
			}
		}
		add(t)
	}
	if a.Image == "ehrql" || a.Image == "databuilder" {
		for _, p := range append([]string(nil), out...) {
			if !strings.HasSuffix(p, ".py") {
				continue
			}
			b, err := os.ReadFile(filepath.Join(st.Dir, filepath.FromSlash(p)))
			if err != nil {
				continue
			}
			for _, m := range codelistRef.FindAllString(string(b), -1) {
				add(m)
			}
		}
	}
	sort.Strings(out)
	return out
}
