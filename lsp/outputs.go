package lsp

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opensafely-core/osls/analysis"
	"github.com/opensafely-core/osls/analysis/outputs"
)

// Disclosure-control findings in the editor. The checks of package outputs (those of
// `osls outputs check`) are shown in two places:
//
//   - on an open output file (a CSV, text or JSON file matching a moderately_sensitive
//     pattern of some action): its findings, placed on the offending cells of the buffer,
//     checked again when the buffer changes or is saved and when files change on disk;
//   - on project.yaml: one diagnostic per moderately_sensitive output pattern whose files
//     on disk have findings (outputs.ProjectDiagnostics), on the pattern.
//
// Neither runs on the typing path of project.yaml. A background worker re-checks the files
// on disk when the project is opened or saved, when the client reports changed files and
// after a run, keeping each file's report keyed by its size and modification time, so only
// files that changed are read again; project.yaml's checker merely places the kept reports
// on the current text.

// outputChecks is the state of the background output checks.
type outputChecks struct {
	wake chan struct{}

	mu      sync.Mutex
	roots   map[string]bool          // studies whose outputs on disk must be checked again
	docs    map[string]bool          // URIs of open files to check (if they are outputs)
	studies map[string]*studyOutputs // study folder -> what is known of its outputs
	shown   map[string]bool          // URIs of open output files with findings published
	pubMu   sync.Mutex               // orders publication with DidClose
	reads   atomic.Int64             // output files read from disk (tests check the cache)
	checks  atomic.Int64             // checks of a study's outputs done
}

// studyOutputs is what the worker knows about the outputs of one study on disk.
type studyOutputs struct {
	files  map[string]*cachedOutput // study-relative path -> last report
	report *outputs.Report          // the last check of every output, nil before the first
}

// cachedOutput is the report of one output file, valid while the file's size and
// modification time and the study's settings stay the same.
type cachedOutput struct {
	size   int64
	mtime  time.Time
	config string // the text of osls.yaml the report was made with
	report *outputs.FileReport
}

func (o *outputChecks) init() {
	o.wake = make(chan struct{}, 1)
	o.roots = map[string]bool{}
	o.docs = map[string]bool{}
	o.studies = map[string]*studyOutputs{}
	o.shown = map[string]bool{}
}

func (o *outputChecks) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// refreshOutputs asks for the outputs of a study on disk to be checked again (when its
// project.yaml is open), and for its open output files to be checked.
func (s *Server) refreshOutputs(root string) {
	if root == "" {
		return
	}
	s.outs.mu.Lock()
	for _, d := range s.docs.snapshot() {
		switch {
		case d.root != root:
		case d.kind == kindProject:
			s.outs.roots[root] = true // only project.yaml shows the outputs on disk
		case d.kind == kindOther:
			s.outs.docs[d.uri] = true
		}
	}
	s.outs.mu.Unlock()
	s.outs.signal()
}

// checkOutputDoc asks for an open file to be checked, if it is an output.
func (s *Server) checkOutputDoc(d *document) {
	if d.kind != kindOther || d.root == "" {
		return
	}
	s.outs.mu.Lock()
	s.outs.docs[d.uri] = true
	s.outs.mu.Unlock()
	s.outs.signal()
}

// runOutputs is the worker loop of the output checks.
func (s *Server) runOutputs(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.outs.wake:
		}
		for ctx.Err() == nil {
			s.outs.mu.Lock()
			var roots, docs []string
			for r := range s.outs.roots {
				roots = append(roots, r)
			}
			for u := range s.outs.docs {
				docs = append(docs, u)
			}
			s.outs.roots, s.outs.docs = map[string]bool{}, map[string]bool{}
			s.outs.mu.Unlock()
			if len(roots) == 0 && len(docs) == 0 {
				break
			}
			sort.Strings(docs)
			for _, u := range docs {
				s.checkOutputFile(ctx, u)
			}
			for _, r := range roots {
				s.checkStudyOutputs(r)
			}
		}
	}
}

// checkOutputFile checks an open file that is a moderately_sensitive output and publishes
// its findings; a file that is not (or no longer) an output gets its findings cleared.
func (s *Server) checkOutputFile(ctx context.Context, u string) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Printf("panic while checking the output %s: %v", u, r)
		}
	}()
	ds := s.docs.snapshot()
	d := ds[u]
	if d == nil {
		return
	}
	var diags []analysis.Diagnostic
	isOutput := false
	if p := s.projectOf(d.root, ds); p != nil && isModeratelySensitive(p, d.rel) {
		isOutput = true
		cfg, _ := s.outputsConfig(d.root, ds)
		fr := inspectOutput(d.rel, bytes.NewReader(d.text), int64(len(d.text)), cfg)
		for _, f := range fr.Findings {
			diags = append(diags, f.Diagnostic())
		}
	}
	s.outs.pubMu.Lock()
	defer s.outs.pubMu.Unlock()
	if s.docs.get(u) != d {
		return // closed, or changed again: checked next round
	}
	s.outs.mu.Lock()
	wasShown := s.outs.shown[u]
	s.outs.shown[u] = isOutput && len(diags) > 0
	s.outs.mu.Unlock()
	if !isOutput && !wasShown {
		return // not an output: leave the file to other tools
	}
	s.diag.publish(ctx, u, d, diags)
}

// closeOutputDoc forgets an open file's findings; DidClose calls it before the document is
// dropped, so a check in progress cannot publish after the clearing.
func (s *Server) closeOutputDoc(u string, drop func()) {
	s.outs.pubMu.Lock()
	defer s.outs.pubMu.Unlock()
	s.outs.mu.Lock()
	delete(s.outs.shown, u)
	delete(s.outs.docs, u)
	s.outs.mu.Unlock()
	drop()
}

// checkStudyOutputs checks every moderately_sensitive output of a study on disk, reusing the
// reports of unchanged files, and has project.yaml checked again when the results changed.
func (s *Server) checkStudyOutputs(root string) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Printf("panic while checking the outputs of %s: %v", root, r)
		}
	}()
	ds := s.docs.snapshot()
	p := s.projectOf(root, ds)
	cfg, cfgText := s.outputsConfig(root, ds)
	s.outs.mu.Lock()
	st := s.outs.studies[root]
	if st == nil {
		st = &studyOutputs{files: map[string]*cachedOutput{}}
		s.outs.studies[root] = st
	}
	cache := st.files
	s.outs.mu.Unlock()

	rep := &outputs.Report{}
	next := map[string]*cachedOutput{}
	if p != nil {
		decls := declaredOutputs(p)
		claims := claimFiles(decls, s.diskSnapshot(root).Files())
		csvActions := map[string]bool{}
		for _, c := range claims {
			co := cachedReport(root, c.file, cache[c.file], cfg, cfgText, &s.outs.reads)
			if co == nil {
				continue // gone meanwhile
			}
			next[c.file] = co
			fr := *co.report
			fr.Findings = append([]outputs.Finding(nil), fr.Findings...)
			d := decls[c.decl]
			fr.Action, fr.OutputName, fr.Pattern = d.Action, d.Name, d.Pattern
			if fr.Kind == outputs.KindCSV {
				csvActions[d.Action] = true
			}
			rep.Files = append(rep.Files, &fr)
		}
		addImageFindings(root, p, rep, csvActions, cfg)
	}
	s.outs.mu.Lock()
	changed := st.report == nil || !sameFindings(st.report, rep)
	st.files, st.report = next, rep
	s.outs.mu.Unlock()
	s.outs.checks.Add(1)
	if changed {
		s.diag.touchProjects(root)
	}
}

// outputProblemsOf places the findings of a study's outputs, as last checked, on the
// moderately_sensitive output patterns of p.
func (s *Server) outputProblemsOf(root string, p *analysis.Project) []analysis.Diagnostic {
	s.outs.mu.Lock()
	var rep *outputs.Report
	if st := s.outs.studies[root]; st != nil {
		rep = st.report
	}
	s.outs.mu.Unlock()
	if rep == nil || len(rep.Files) == 0 {
		return nil
	}
	return outputs.ProjectDiagnostics(p, rep)
}

// claim says which declared output pattern a file on disk belongs to.
type claim struct {
	file string
	decl int // index into the declared outputs
}

// declaredOutputs lists the moderately_sensitive output patterns of a project, in order.
func declaredOutputs(p *analysis.Project) []outputs.Declared {
	var out []outputs.Declared
	for _, a := range p.Actions {
		for _, o := range a.Outputs {
			if o.Level != "moderately_sensitive" || o.Path == "" {
				continue
			}
			name := ""
			if o.NameNode != nil {
				name = o.NameNode.Value
			}
			out = append(out, outputs.Declared{Action: a.ID, Name: name, Pattern: o.Path})
		}
	}
	return out
}

// claimFiles matches the study's files against the declared patterns: each file belongs to
// the first pattern that matches it, as in outputs.CheckProject. Patterns are looked up by
// the folder their literal part names, so each file is compared only with the patterns that
// could match it.
func claimFiles(decls []outputs.Declared, files []string) []claim {
	byDir := map[string][]int{}
	for i, d := range decls {
		byDir[patternDir(d.Pattern)] = append(byDir[patternDir(d.Pattern)], i)
	}
	var out []claim
	for _, f := range files {
		if strings.HasPrefix(f, "metadata/") || strings.HasPrefix(f, ".git/") {
			continue
		}
		best := -1
		for dir := path.Dir(f); ; dir = path.Dir(dir) {
			for _, i := range byDir[dir] {
				if (best < 0 || i < best) && analysis.MatchOutput(decls[i].Pattern, f) {
					best = i
				}
			}
			if dir == "." || dir == "/" {
				break
			}
		}
		if best >= 0 {
			out = append(out, claim{file: f, decl: best})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].decl < out[j].decl })
	return out
}

// patternDir is the folder under which a pattern's files lie: its literal leading folders.
func patternDir(pattern string) string {
	dir := path.Dir(pattern)
	if i := strings.IndexByte(dir, '*'); i >= 0 {
		dir = path.Dir(dir[:i] + "x")
	}
	return dir
}

// isModeratelySensitive reports whether a study file matches a moderately_sensitive output
// pattern of some action.
func isModeratelySensitive(p *analysis.Project, rel string) bool {
	for _, a := range p.Actions {
		for _, o := range a.Outputs {
			if o.Level == "moderately_sensitive" && o.Path != "" && analysis.MatchOutput(o.Path, rel) {
				return true
			}
		}
	}
	return false
}

// cachedReport returns the report of one output file, from the cache when the file and the
// settings are unchanged; nil when the file cannot be read.
func cachedReport(root, rel string, old *cachedOutput, cfg outputs.Config, cfgText string, reads *atomic.Int64) *cachedOutput {
	full := fsPath(root, rel)
	info, err := os.Stat(full)
	if err != nil || !info.Mode().IsRegular() {
		return nil
	}
	if old != nil && old.size == info.Size() && old.mtime.Equal(info.ModTime()) && old.config == cfgText {
		return old
	}
	f, err := os.Open(full)
	if err != nil {
		return nil
	}
	defer f.Close()
	reads.Add(1)
	return &cachedOutput{size: info.Size(), mtime: info.ModTime(), config: cfgText, report: inspectOutput(rel, f, info.Size(), cfg)}
}

// inspectOutput checks one output. A file over the Level 4 size limit cannot be released
// at all, so it is not read: it gets only its findings about the whole file.
func inspectOutput(name string, r io.Reader, size int64, cfg outputs.Config) *outputs.FileReport {
	if size <= outputs.MaxFileSize {
		return outputs.Inspect(name, r, size, cfg)
	}
	fr := outputs.Inspect(name, strings.NewReader(""), size, cfg)
	kept := fr.Findings[:0]
	for _, f := range fr.Findings {
		if f.Line == 0 && f.Code != analysis.CodeSDCUnreadable.ID {
			kept = append(kept, f)
		}
	}
	fr.Findings = kept
	return fr
}

// addImageFindings notes images released by actions that release no CSV. Package outputs
// makes that finding in its project check, so each such action's images are checked again
// there, through a view of the study that holds only them (images are checked for type and
// size only, so this reads little).
func addImageFindings(root string, p *analysis.Project, rep *outputs.Report, csvActions map[string]bool, cfg outputs.Config) {
	views := map[string]*fileView{}
	for _, fr := range rep.Files {
		if fr.Kind != outputs.KindImage || csvActions[fr.Action] {
			continue
		}
		v := views[fr.Action]
		if v == nil {
			v = &fileView{fsys: os.DirFS(root), files: map[string]bool{}, dirs: map[string]bool{".": true}}
			views[fr.Action] = v
		}
		v.add(fr.Path)
	}
	for action, v := range views {
		sub, err := outputs.CheckProject(v, p, []string{action}, cfg)
		if err != nil {
			continue
		}
		extra := map[string][]outputs.Finding{}
		for _, f := range sub.Findings() {
			if f.Code == analysis.CodeSDCImageNoData.ID {
				extra[f.File] = append(extra[f.File], f)
			}
		}
		for _, fr := range rep.Files {
			if fr.Action == action {
				fr.Findings = append(fr.Findings, extra[fr.Path]...)
			}
		}
	}
}

// fileView is a view of a folder that shows only some of its files (and the folders that
// lead to them).
type fileView struct {
	fsys  fs.FS
	files map[string]bool
	dirs  map[string]bool
}

func (v *fileView) add(p string) {
	v.files[p] = true
	for d := path.Dir(p); d != "." && !v.dirs[d]; d = path.Dir(d) {
		v.dirs[d] = true
	}
}

// Open implements fs.FS.
func (v *fileView) Open(name string) (fs.File, error) {
	if !v.files[name] && !v.dirs[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return v.fsys.Open(name)
}

// ReadDir implements fs.ReadDirFS, listing only the files and folders of the view.
func (v *fileView) ReadDir(name string) ([]fs.DirEntry, error) {
	if !v.dirs[name] {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	all, err := fs.ReadDir(v.fsys, name)
	if err != nil {
		return nil, err
	}
	var out []fs.DirEntry
	for _, e := range all {
		if p := path.Join(name, e.Name()); v.files[p] || v.dirs[p] {
			out = append(out, e)
		}
	}
	return out, nil
}

// outputsConfig returns the study's outputs settings (from an open osls.yaml, else the disk)
// and the text they were read from. Settings that cannot be read are the defaults.
func (s *Server) outputsConfig(root string, ds docSet) (outputs.Config, string) {
	var text []byte
	found := false
	for _, name := range outputs.ConfigFileNames {
		for _, d := range ds {
			if d.root == root && d.rel == name {
				text, found = d.text, true
				break
			}
		}
		if !found {
			if b, err := os.ReadFile(fsPath(root, name)); err == nil {
				text, found = b, true
			}
		}
		if found {
			break
		}
	}
	if !found {
		return outputs.Config{}, ""
	}
	cfg, err := outputs.ParseConfig(text)
	if err != nil {
		s.log.Printf("%s: %v (the output checks use the default settings)", root, err)
		return outputs.Config{}, string(text)
	}
	return cfg, string(text)
}

// sameFindings reports whether two checks of a study's outputs found the same.
func sameFindings(a, b *outputs.Report) bool {
	if len(a.Files) != len(b.Files) {
		return false
	}
	for i := range a.Files {
		x, y := a.Files[i], b.Files[i]
		if x.Path != y.Path || x.Action != y.Action || x.Pattern != y.Pattern || !reflect.DeepEqual(x.Findings, y.Findings) {
			return false
		}
	}
	return true
}
