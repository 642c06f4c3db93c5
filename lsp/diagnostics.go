package lsp

import (
	"context"
	"sync"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/opensafely-core/osls/analysis"
)

// diagnoser computes and publishes diagnostics in the background. Edits only mark a
// document dirty; one worker takes the latest version of each dirty document, checks it and
// publishes the result with that version. Edits that arrive while a check runs coalesce into
// one more check, so after a burst of changes the last diagnostics published always belong to
// the last text.
//
// project.yaml and codelists.txt are checked as soon as the worker is free. Python buffers
// (dataset definitions) are checked once edits have paused for debounce, since one edit can
// mean analysing every definition that imports the file.
type diagnoser struct {
	s    *Server
	wake chan struct{}

	mu       sync.Mutex
	dirty    map[string]bool            // URIs to check again
	pyDirty  map[string]bool            // Python URIs to check once edits pause
	pyAt     time.Time                  // when a Python URI was last marked
	closed   map[string]bool            // URIs whose diagnostics must be cleared
	last     map[string]*diagnosticsSet // latest results, for code actions
	debounce time.Duration

	// published is called after each publication (tests and benchmarks hook it).
	published func(uri string, version int32)
}

// diagnosticsSet is the result of checking one version of a document.
type diagnosticsSet struct {
	doc   *document
	diags []analysis.Diagnostic
}

// pythonDebounce is how long the Python checks wait for typing to pause.
const pythonDebounce = 150 * time.Millisecond

func newDiagnoser(s *Server) *diagnoser {
	return &diagnoser{
		s:        s,
		wake:     make(chan struct{}, 1),
		dirty:    map[string]bool{},
		pyDirty:  map[string]bool{},
		closed:   map[string]bool{},
		last:     map[string]*diagnosticsSet{},
		debounce: pythonDebounce,
	}
}

func (g *diagnoser) signal() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// touch marks a document for checking. The files of a study depend on each other (a buffer
// counts as an existing file for project.yaml; a helper module changes the definitions that
// import it), so every open file of the study is checked again too.
func (g *diagnoser) touch(d *document) {
	g.mu.Lock()
	switch d.kind {
	case kindProject, kindCodelists, kindDummySpec:
		g.dirty[d.uri] = true
	case kindPython:
		g.pyDirty[d.uri] = true
		g.pyAt = time.Now()
	}
	delete(g.closed, d.uri)
	g.mu.Unlock()
	g.touchStudy(d.root)
}

// touchStudy marks every open checked file of a study for checking.
func (g *diagnoser) touchStudy(root string) {
	g.mu.Lock()
	for _, d := range g.s.docs.snapshot() {
		if d.root != root {
			continue
		}
		switch d.kind {
		case kindProject, kindCodelists, kindDummySpec:
			g.dirty[d.uri] = true
		case kindPython:
			if !g.pyDirty[d.uri] {
				g.pyDirty[d.uri] = true
				g.pyAt = time.Now()
			}
		}
	}
	g.mu.Unlock()
	g.signal()
}

// touchProjects marks the open project.yaml of a study for checking (its outputs on disk
// were checked again).
func (g *diagnoser) touchProjects(root string) {
	g.mu.Lock()
	for _, d := range g.s.docs.snapshot() {
		if d.root == root && d.kind == kindProject {
			g.dirty[d.uri] = true
		}
	}
	g.mu.Unlock()
	g.signal()
}

// close clears a document's diagnostics.
func (g *diagnoser) close(u string) {
	g.mu.Lock()
	delete(g.dirty, u)
	delete(g.pyDirty, u)
	delete(g.last, u)
	g.closed[u] = true
	g.mu.Unlock()
	g.signal()
}

// run is the worker loop.
func (g *diagnoser) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-g.wake:
		}
		for {
			g.mu.Lock()
			var todo, pyTodo, clear []string
			for u := range g.dirty {
				todo = append(todo, u)
			}
			for u := range g.closed {
				clear = append(clear, u)
			}
			g.dirty = map[string]bool{}
			g.closed = map[string]bool{}
			if len(g.pyDirty) > 0 {
				if wait := g.debounce - time.Since(g.pyAt); wait > 0 {
					time.AfterFunc(wait, g.signal)
				} else {
					for u := range g.pyDirty {
						pyTodo = append(pyTodo, u)
					}
					g.pyDirty = map[string]bool{}
				}
			}
			g.mu.Unlock()
			if len(todo) == 0 && len(clear) == 0 && len(pyTodo) == 0 {
				break
			}
			for _, u := range clear {
				g.publish(ctx, u, nil, nil)
			}
			for _, u := range append(todo, pyTodo...) {
				if ctx.Err() != nil {
					return
				}
				g.check(ctx, u)
			}
		}
	}
}

// check checks the current version of a document and publishes the result, unless a newer
// version arrived meanwhile (it is dirty again and will be checked next round).
func (g *diagnoser) check(ctx context.Context, u string) {
	defer func() {
		if r := recover(); r != nil {
			g.s.log.Printf("panic while checking %s: %v", u, r)
		}
	}()
	ds := g.s.docs.snapshot()
	d := ds[u]
	if d == nil {
		return
	}
	var diags []analysis.Diagnostic
	switch d.kind {
	case kindProject:
		diags = g.s.projectDiagnostics(d, ds)
	case kindCodelists:
		diags = g.s.codelistsDiagnostics(d, ds)
	case kindDummySpec:
		diags = g.s.dummySpecDiagnostics(d, ds)
	case kindPython:
		diags = g.s.pythonDiagnostics(d, ds)
	default:
		return
	}
	g.mu.Lock()
	stale := g.dirty[u] || g.pyDirty[u] || g.closed[u]
	if !stale {
		g.last[u] = &diagnosticsSet{doc: d, diags: diags}
	}
	g.mu.Unlock()
	if stale {
		return
	}
	g.publish(ctx, u, d, diags)
}

// lastFor returns the diagnostics last published for exactly this version of a document.
func (g *diagnoser) lastFor(d *document) ([]analysis.Diagnostic, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if set := g.last[d.uri]; set != nil && set.doc == d {
		return set.diags, true
	}
	return nil, false
}

// projectDiagnostics runs the project.yaml checker over a buffer, and adds the failures of
// the last run of its actions and the disclosure-control findings of its outputs on disk
// (as last checked in the background; see outputs.go).
func (s *Server) projectDiagnostics(d *document, ds docSet) []analysis.Diagnostic {
	diags := analysis.CheckParsedProject(s.snapshotFor(d, ds), d.Project())
	extra := s.runProblemsOf(d.root, d.Project())
	extra = append(extra, s.outputProblemsOf(d.root, d.Project())...)
	if len(extra) > 0 {
		diags = append(append([]analysis.Diagnostic(nil), diags...), extra...)
	}
	return diags
}

// codelistsDiagnostics checks codelists/codelists.txt (with its manifest and CSVs).
func (s *Server) codelistsDiagnostics(d *document, ds docSet) []analysis.Diagnostic {
	return analysis.CheckCodelists(s.snapshotFor(d, ds))
}

// diagnosticsOf returns the diagnostics of a document, reusing the last published ones when
// they are for this very version.
func (s *Server) diagnosticsOf(d *document, ds docSet) []analysis.Diagnostic {
	if diags, ok := s.diag.lastFor(d); ok {
		return diags
	}
	switch d.kind {
	case kindProject:
		return s.projectDiagnostics(d, ds)
	case kindCodelists:
		return s.codelistsDiagnostics(d, ds)
	case kindDummySpec:
		return s.dummySpecDiagnostics(d, ds)
	case kindPython:
		return s.pythonDiagnostics(d, ds)
	}
	return nil
}

func (g *diagnoser) publish(ctx context.Context, u string, d *document, diags []analysis.Diagnostic) {
	params := &protocol.PublishDiagnosticsParams{URI: uri.URI(u), Diagnostics: []protocol.Diagnostic{}}
	var version int32
	if d != nil {
		version = d.version
		params.Version = protocol.NewOptional(d.version)
		for _, ad := range diags {
			if ad.File != "" && ad.File != d.rel {
				continue
			}
			params.Diagnostics = append(params.Diagnostics, g.s.toProtocolDiagnostic(d, ad))
		}
	}
	if err := g.s.client.PublishDiagnostics(ctx, params); err != nil {
		g.s.log.Printf("publishing diagnostics for %s: %v", u, err)
	}
	if g.published != nil {
		g.published(u, version)
	}
}

// toProtocolDiagnostic converts one diagnostic of a document.
func (s *Server) toProtocolDiagnostic(d *document, ad analysis.Diagnostic) protocol.Diagnostic {
	l := d.Lines()
	pd := protocol.Diagnostic{
		Range:    rangeOf(l, ad.Range),
		Severity: protocol.DiagnosticSeverity(ad.Severity),
		Source:   protocol.NewOptional("osls"),
		Message:  protocol.String(ad.Message),
	}
	if ad.Code != "" {
		pd.Code = protocol.String(ad.Code)
	}
	for _, r := range ad.Related {
		loc := protocol.Location{URI: uri.URI(d.uri), Range: rangeOf(l, r.Range)}
		if r.File != "" && r.File != d.rel {
			continue // other files are not open here; their ranges cannot be converted
		}
		pd.RelatedInformation = append(pd.RelatedInformation, protocol.DiagnosticRelatedInformation{Location: loc, Message: r.Message})
	}
	return pd
}
