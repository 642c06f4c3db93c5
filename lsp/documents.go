package lsp

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/opensafely-core/osls/analysis"
)

// fileKind says what osls knows about an open file.
type fileKind int

const (
	kindOther     fileKind = iota
	kindProject            // project.yaml
	kindPython             // a Python file (a dataset definition, perhaps)
	kindCodelists          // codelists/codelists.txt
)

// document is one open editor buffer at one version. Documents are immutable: an edit
// makes a new document, so a request can keep reading the version it started with.
type document struct {
	uri     string // exactly as the client sent it
	path    string // absolute file-system path, "" for non-file URIs
	root    string // the study folder: where project.yaml is (or would be)
	rel     string // path relative to root, with forward slashes
	kind    fileKind
	version int32
	text    []byte

	linesOnce sync.Once
	lines     *analysis.Lines

	projOnce sync.Once
	proj     *analysis.Project
}

// Lines returns the line index of the text, built on first use.
func (d *document) Lines() *analysis.Lines {
	d.linesOnce.Do(func() { d.lines = analysis.NewLines(d.text) })
	return d.lines
}

// Project returns the parsed project.yaml, built on first use.
func (d *document) Project() *analysis.Project {
	d.projOnce.Do(func() { d.proj = analysis.ParseProject(d.rel, d.text) })
	return d.proj
}

// newDocument describes a buffer; it works out the study folder from the path.
func newDocument(rawURI string, version int32, text []byte, roots []string) *document {
	d := &document{uri: rawURI, version: version, text: text}
	if u, err := uri.Parse(rawURI); err == nil && u.Scheme() == "file" {
		d.path = filepath.Clean(u.FsPath())
	}
	base := filepath.Base(d.path)
	switch {
	case base == analysis.ProjectFile || strings.HasSuffix(rawURI, "/"+analysis.ProjectFile):
		d.kind = kindProject
	case strings.HasSuffix(base, ".py"):
		d.kind = kindPython
	}
	if d.path == "" {
		d.rel = base
		if d.kind == kindProject {
			d.rel = analysis.ProjectFile
		}
		return d
	}
	d.root = studyRoot(d.path, d.kind, roots)
	if rel, err := filepath.Rel(d.root, d.path); err == nil {
		d.rel = filepath.ToSlash(rel)
	} else {
		d.rel = base
	}
	if d.rel == analysis.CodelistsFile {
		d.kind = kindCodelists
	} else if isDummySpec(d.rel) {
		d.kind = kindDummySpec
	}
	return d
}

// studyRoot finds the study folder of a file: for project.yaml its own folder; otherwise the
// nearest folder above it holding a project.yaml, else the workspace root that contains it,
// else the file's folder.
func studyRoot(path string, kind fileKind, roots []string) string {
	dir := filepath.Dir(path)
	if kind == kindProject {
		return dir
	}
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, analysis.ProjectFile)); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	for _, r := range roots {
		if rel, err := filepath.Rel(r, path); err == nil && !strings.HasPrefix(rel, "..") {
			return r
		}
	}
	return dir
}

// applyChanges applies content changes (whole-document or ranged, in UTF-16 positions) to
// text and returns the new text.
func applyChanges(text []byte, changes []protocol.TextDocumentContentChangeEvent) ([]byte, error) {
	for _, ch := range changes {
		switch c := ch.(type) {
		case *protocol.TextDocumentContentChangeWholeDocument:
			text = []byte(c.Text)
		case *protocol.TextDocumentContentChangePartial:
			lines := analysis.NewLines(text)
			start := offsetOf(lines, c.Range.Start)
			end := offsetOf(lines, c.Range.End)
			if end < start {
				return nil, fmt.Errorf("change range ends before it starts (%d:%d-%d:%d)",
					c.Range.Start.Line, c.Range.Start.Character, c.Range.End.Line, c.Range.End.Character)
			}
			out := make([]byte, 0, len(text)-(end-start)+len(c.Text))
			out = append(out, text[:start]...)
			out = append(out, c.Text...)
			out = append(out, text[end:]...)
			text = out
		default:
			return nil, fmt.Errorf("unsupported content change %T", ch)
		}
	}
	return text, nil
}

// docSet is an immutable set of open documents keyed by URI.
type docSet map[string]*document

// store holds the open documents. Writers (the notification handlers, which run in order)
// replace the whole set; readers take the current set without locking and keep it for the
// length of their request.
type store struct {
	mu  sync.Mutex // serialises writers
	cur atomic.Pointer[docSet]
}

func newStore() *store {
	s := &store{}
	empty := docSet{}
	s.cur.Store(&empty)
	return s
}

// snapshot returns the current set of open documents; the caller must not modify it.
func (s *store) snapshot() docSet { return *s.cur.Load() }

// get returns the open document with the URI, or nil.
func (s *store) get(u string) *document { return s.snapshot()[u] }

// put adds or replaces a document.
func (s *store) put(d *document) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.snapshot()
	next := make(docSet, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[d.uri] = d
	s.cur.Store(&next)
}

// remove drops a document.
func (s *store) remove(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.snapshot()
	next := make(docSet, len(old))
	for k, v := range old {
		if k != u {
			next[k] = v
		}
	}
	s.cur.Store(&next)
}

// buffersUnder returns the open buffers of a study, keyed by path relative to root.
func (ds docSet) buffersUnder(root string) map[string][]byte {
	var out map[string][]byte
	for _, d := range ds {
		if d.root != root || d.path == "" {
			continue
		}
		if out == nil {
			out = map[string][]byte{}
		}
		out[d.rel] = d.text
	}
	return out
}
