package runner

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/opensafely-core/osls/analysis"
)

// stamp is what tells a file changed: its size, modification time and type.
type stamp struct {
	size  int64
	mtime time.Time
	mode  fs.FileMode
}

func stampOf(info fs.FileInfo) stamp {
	return stamp{info.Size(), info.ModTime(), info.Mode().Type()}
}

func stamps(files map[string]fs.FileInfo) map[string]stamp {
	out := make(map[string]stamp, len(files))
	for p, info := range files {
		out[p] = stampOf(info)
	}
	return out
}

// safeRel checks that p is a relative path that stays inside the folder it is relative to,
// and returns it cleaned.
func safeRel(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("empty path")
	}
	if strings.Contains(p, "\\") || path.IsAbs(p) || filepath.IsAbs(p) || (len(p) > 1 && p[1] == ':') {
		return "", fmt.Errorf("%s is an absolute path; paths must be relative to the study folder", p)
	}
	c := path.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("%s points outside the study folder", p)
	}
	return c, nil
}

// within reports whether the absolute path p is root or inside it.
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// copyFile copies src to dst (creating dst's folder), keeping the permission bits. Copying,
// not hard-linking: a job that rewrites an input in place must not change the study's copy.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm()|0o200)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// workspace is one job's working copy of the study.
type workspace struct {
	root     string // the job folder: metadata/.osls-jobs/<action>-<n>
	dir      string // root/workspace, the job's working directory
	baseline map[string]stamp
	inputs   []FileRecord
	findings []Finding
}

// prepareWorkspace fills a fresh job folder like opensafely-cli's volume: the study's files
// except outputs of any action, .git and metadata/, then the outputs of the action's direct
// needs. Symbolic links are followed only when they point inside the study.
func prepareWorkspace(st *Study, a *analysis.Action, root string) (*workspace, error) {
	ws := &workspace{root: root, dir: filepath.Join(root, "workspace")}
	if err := os.MkdirAll(ws.dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the job's workspace: %w", err)
	}
	st.scan()
	for _, p := range st.Files() {
		if st.isOutput(p) {
			continue
		}
		src, ok, err := st.resolve(p)
		if err != nil {
			return nil, err
		}
		if !ok {
			ws.findings = append(ws.findings, Finding{Kind: FindingEscape, Severity: SeverityWarning, Path: p,
				Message: p + " is a link to a file outside the study; it was not copied into the job's workspace"})
			continue
		}
		if err := copyFile(src, filepath.Join(ws.dir, filepath.FromSlash(p))); err != nil {
			return nil, fmt.Errorf("copying %s into the job's workspace: %w", p, err)
		}
	}
	for _, n := range a.NeedIDs() {
		na := st.Project.ActionByID(n)
		if na == nil {
			continue
		}
		files := st.outputsOf(na)
		if len(files) == 0 && len(na.Outputs) > 0 {
			return nil, fmt.Errorf("needs %s, which has no outputs in the study: run it first (or run with its needs)", n)
		}
		for _, f := range files {
			rel, err := safeRel(f.Path)
			if err != nil {
				return nil, fmt.Errorf("output %s of %s: %w", f.Path, n, err)
			}
			src, ok, err := st.resolve(rel)
			if err != nil {
				return nil, fmt.Errorf("The file %s doesn't exist in the study, as %s needs it from %s: %w", rel, a.ID, n, err)
			}
			if !ok {
				return nil, fmt.Errorf("output %s of %s is a link to a file outside the study; refusing to use it", rel, n)
			}
			dst := filepath.Join(ws.dir, filepath.FromSlash(rel))
			if err := copyFile(src, dst); err != nil {
				return nil, fmt.Errorf("copying %s (from %s) into the job's workspace: %w", rel, n, err)
			}
			fr, err := fileRecord(ws.dir, rel)
			if err != nil {
				return nil, err
			}
			fr.Action, fr.Level = n, f.Level
			ws.inputs = append(ws.inputs, fr)
		}
	}
	ws.baseline = stamps(listFiles(ws.dir, nil))
	return ws, nil
}

// resolve returns the real file behind a study path; ok is false for a link that leads out
// of the study (or into .git or metadata/).
func (st *Study) resolve(rel string) (string, bool, error) {
	p := filepath.Join(st.Dir, filepath.FromSlash(rel))
	info, err := os.Lstat(p)
	if err != nil {
		return "", false, err
	}
	if info.Mode()&fs.ModeSymlink == 0 {
		return p, info.Mode().IsRegular(), nil
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", false, nil // a dangling link: nothing to copy
	}
	dir, err := filepath.EvalSymlinks(st.Dir)
	if err != nil {
		return "", false, err
	}
	if !within(dir, real) {
		return "", false, nil
	}
	r, _ := filepath.Rel(dir, real)
	r = filepath.ToSlash(r)
	if r == ".git" || strings.HasPrefix(r, ".git/") || strings.HasPrefix(r, MetadataDir+"/") {
		return "", false, nil
	}
	ri, err := os.Stat(real)
	if err != nil || !ri.Mode().IsRegular() {
		return "", false, nil
	}
	return real, true, nil
}

// ignoredNew are files interpreters leave behind that are not worth reporting.
func ignoredNew(p string) bool {
	return strings.HasPrefix(p, "__pycache__/") || strings.Contains(p, "/__pycache__/") ||
		p == ".opensafely-timestamp" || strings.HasSuffix(p, "/.Rhistory") || p == ".Rhistory"
}

// collected is what a finished job produced, matched against its declared outputs.
type collected struct {
	outputs  []FileRecord // files to move into the study (Path relative to both folders)
	findings []Finding
}

// collect matches the files the job created or changed against the action's output
// patterns, and reports patterns that matched nothing, files no pattern declares, files
// written beside the workspace and links. (The outputs themselves are checked by
// Study.checkOutputs.)
func collect(a *analysis.Action, ws *workspace) collected {
	var c collected
	after := listFiles(ws.dir, nil)
	var changed, links []string
	for p, info := range after {
		if ignoredNew(p) {
			continue
		}
		if old, ok := ws.baseline[p]; ok && old == stampOf(info) {
			continue
		}
		if info.Mode()&fs.ModeSymlink != 0 || !info.Mode().IsRegular() {
			links = append(links, p)
			continue
		}
		changed = append(changed, p)
	}
	sort.Strings(changed)
	sort.Strings(links)
	for _, p := range links {
		c.findings = append(c.findings, Finding{Kind: FindingEscape, Severity: SeverityWarning, Path: p,
			Message: p + " is a link or special file, not a regular file; it was not collected"})
	}
	// Anything beside the workspace was written through "../".
	if entries, err := os.ReadDir(ws.root); err == nil {
		for _, e := range entries {
			if e.Name() == "workspace" {
				continue
			}
			c.findings = append(c.findings, Finding{Kind: FindingEscape, Severity: SeverityWarning, Path: "../" + e.Name(),
				Message: "the action wrote ../" + e.Name() + ", outside its workspace; it was not collected (write outputs inside the study, e.g. under output/)"})
		}
	}
	claimed := map[string]bool{}
	var unmatched []Finding
	for _, o := range a.Outputs {
		if o.Path == "" {
			continue
		}
		if _, err := safeRel(o.Path); err != nil {
			c.findings = append(c.findings, Finding{Kind: FindingEscape, Severity: SeverityError, Pattern: o.Path,
				Message: "output pattern " + err.Error()})
			continue
		}
		n := 0
		for _, p := range changed {
			if analysis.MatchOutput(o.Path, p) {
				n++
				if !claimed[p] {
					claimed[p] = true
					c.outputs = append(c.outputs, FileRecord{Path: p, Level: o.Level})
				}
			}
		}
		if n > 0 {
			continue
		}
		var inputs []string
		for p := range ws.baseline {
			if analysis.MatchOutput(o.Path, p) {
				inputs = append(inputs, p)
			}
		}
		if len(inputs) > 0 {
			sort.Strings(inputs)
			c.findings = append(c.findings, Finding{Kind: FindingInputOnly, Severity: SeverityWarning, Pattern: o.Path,
				Message: fmt.Sprintf("output pattern %s matched only files this action did not write (%s); they stay with the action that made them", o.Path, strings.Join(inputs, ", "))})
			continue
		}
		unmatched = append(unmatched, Finding{Kind: FindingUnmatched, Severity: SeverityError, Pattern: o.Path,
			Message: "No outputs found matching pattern " + o.Path})
	}
	var undeclared []string
	for _, p := range changed {
		if !claimed[p] {
			undeclared = append(undeclared, p)
		}
	}
	for i := range unmatched {
		unmatched[i].Suggestions = closest(unmatched[i].Pattern, undeclared, 3)
		if len(unmatched[i].Suggestions) > 0 {
			unmatched[i].Message += "; did you mean " + strings.Join(unmatched[i].Suggestions, " or ") + "?"
		}
	}
	c.findings = append(c.findings, unmatched...)
	for _, p := range undeclared {
		c.findings = append(c.findings, Finding{Kind: FindingUndeclared, Severity: SeverityWarning, Path: p,
			Message: p + " was written by the action but is not a declared output; it was not kept (declare it under outputs to keep it)"})
	}
	sort.Slice(c.outputs, func(i, j int) bool { return c.outputs[i].Path < c.outputs[j].Path })
	for i, o := range c.outputs {
		fr, err := fileRecord(ws.dir, o.Path)
		if err == nil {
			fr.Level = o.Level
			c.outputs[i] = fr
		}
	}
	return c
}

// studyChanges lists study files (outside the job folders and this action's own metadata)
// that appeared or changed between two listings: a job writing into the study by absolute
// path, around its workspace.
func studyChanges(before, after map[string]stamp) []string {
	var out []string
	for p, s := range after {
		if old, ok := before[p]; !ok || old != s {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// studyStamps lists the study's files for studyChanges, leaving out .git, the job folders
// and the given own files (log, record, history).
func studyStamps(dir string, own ...string) map[string]stamp {
	files := listFiles(dir, func(rel string) bool { return rel == ".git" || rel == jobsDir })
	for _, o := range own {
		delete(files, o)
	}
	for p := range files {
		if strings.HasPrefix(path.Base(p), ".") && strings.HasPrefix(p, MetadataDir+"/") {
			delete(files, p) // temporary files of atomic writes
		}
	}
	return stamps(files)
}
