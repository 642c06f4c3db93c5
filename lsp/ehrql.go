package lsp

import (
	"context"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.lsp.dev/protocol"

	"github.com/opensafely-core/osls/analysis"
)

// Dataset definitions. A Python buffer is served from the analyses that cover it (see
// analysis.EhrQLAnalyses): the definitions project.yaml runs that load it, or the file on
// its own when it imports ehrQL. Analyses are cached per study and entry, and reused while
// none of the buffers they read (the files they loaded, and open CSV and codelist files)
// changed, and the study's files on disk were not seen to change.

// defCache holds the latest analysis of each entry of each study.
type defCache struct {
	mu sync.Mutex
	m  map[string]*cachedDef // root, entry, version and command
}

type cachedDef struct {
	stamp string
	def   *analysis.Definition
}

// stampOf identifies the inputs of an analysis that reads files: the disk generation of the
// study and the versions of the open buffers among files and of every open data file.
func (s *Server) stampOf(root string, ds docSet, files []string) string {
	var parts []string
	for _, d := range ds {
		if d.root != root || d.path == "" || d.kind == kindProject {
			continue
		}
		if d.kind == kindPython && !containsRel(files, d.rel) {
			continue
		}
		parts = append(parts, d.rel+"@"+strconv.Itoa(int(d.version)))
	}
	sort.Strings(parts)
	return strconv.Itoa(s.diskGen(root)) + "|" + strings.Join(parts, ",")
}

func containsRel(files []string, rel string) bool {
	for _, f := range files {
		if f == rel {
			return true
		}
	}
	return false
}

// analyze returns the analysis of one entry of a study, from the cache when its inputs did
// not change.
func (s *Server) analyze(root string, ds docSet, snap analysis.Snapshot, e analysis.EhrQLEntry) *analysis.Definition {
	key := root + "\x00" + e.File + "\x00" + e.Version + "\x00" + e.Command
	s.defs.mu.Lock()
	c := s.defs.m[key]
	s.defs.mu.Unlock()
	if c != nil && c.stamp == s.stampOf(root, ds, c.def.Files) {
		return c.def
	}
	def := analysis.AnalyzeDefinition(snap, e.File, analysis.DefinitionOptions{Version: e.Version, Command: e.Command})
	s.defs.mu.Lock()
	if s.defs.m == nil {
		s.defs.m = map[string]*cachedDef{}
	}
	s.defs.m[key] = &cachedDef{stamp: s.stampOf(root, ds, def.Files), def: def}
	s.defs.mu.Unlock()
	return def
}

// projectOf returns the study's project.yaml: the open buffer, else the file on disk (nil
// when there is none).
func (s *Server) projectOf(root string, ds docSet) *analysis.Project {
	for _, d := range ds {
		if d.kind == kindProject && d.root == root {
			return d.Project()
		}
	}
	snap := s.diskSnapshot(root)
	if snap == nil {
		return nil
	}
	text, err := snap.ReadFile(analysis.ProjectFile)
	if err != nil {
		return nil
	}
	gen := s.diskGen(root)
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.diskProjects[root]; c != nil && c.gen == gen {
		return c.p
	}
	p := analysis.ParseProject(analysis.ProjectFile, text)
	s.diskProjects[root] = &diskProject{gen: gen, p: p}
	return p
}

type diskProject struct {
	gen int
	p   *analysis.Project
}

// analysesFor returns the analyses that cover a Python buffer.
func (s *Server) analysesFor(d *document, ds docSet, snap analysis.Snapshot) []*analysis.Definition {
	if d.kind != kindPython || d.path == "" {
		return nil
	}
	p := s.projectOf(d.root, ds)
	return analysis.EhrQLAnalyses(snap, p, d.rel, func(e analysis.EhrQLEntry) *analysis.Definition {
		return s.analyze(d.root, ds, snap, e)
	})
}

// pythonDiagnostics returns the diagnostics of a Python buffer.
func (s *Server) pythonDiagnostics(d *document, ds docSet) []analysis.Diagnostic {
	snap := s.snapshotFor(d, ds)
	return analysis.EhrQLDiagnosticsFor(s.analysesFor(d, ds, snap), d.rel)
}

// ehrqlQuery prepares the position queries on a Python buffer.
func (s *Server) ehrqlQuery(d *document, ds docSet) *analysis.EhrQLQuery {
	snap := s.snapshotFor(d, ds)
	q := &analysis.EhrQLQuery{Snap: snap, File: d.rel, Src: d.text}
	defs := s.analysesFor(d, ds, snap)
	if len(defs) == 0 {
		return q
	}
	def := defs[0]
	q.Def = def
	q.Reanalyze = func(src []byte) *analysis.Definition {
		bufs := ds.buffersUnder(d.root)
		over := make(map[string][]byte, len(bufs)+1)
		for k, v := range bufs {
			over[k] = v
		}
		over[d.rel] = src
		alt := &analysis.Overlay{Base: s.diskSnapshot(d.root), Buffers: over}
		return analysis.AnalyzeDefinition(alt, def.Entry, analysis.DefinitionOptions{Version: def.Version})
	}
	return q
}

// SignatureHelp implements protocol.Server: the signature of the ehrQL function or method
// being called.
func (s *Server) SignatureHelp(ctx context.Context, p *protocol.SignatureHelpParams) (*protocol.SignatureHelp, error) {
	d, err := s.doc(ctx, p.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	if d.kind != kindPython {
		return nil, nil
	}
	l := d.Lines()
	h, ok := s.ehrqlQuery(d, s.docsOf(ctx)).SignatureHelp(offsetOf(l, p.Position))
	if !ok {
		return nil, nil
	}
	caps := s.clientCaps()
	info := protocol.SignatureInformation{Label: h.Label}
	if h.Doc != "" {
		info.Documentation = markup(h.Doc, caps)
	}
	for _, prm := range h.Params {
		pi := protocol.ParameterInformation{Label: protocol.String(h.Label[prm.Start:prm.End])}
		if prm.Doc != "" {
			pi.Documentation = markup(prm.Doc, caps)
		}
		info.Parameters = append(info.Parameters, pi)
	}
	res := &protocol.SignatureHelp{Signatures: []protocol.SignatureInformation{info}, ActiveSignature: ptr(uint32(0))}
	if h.Active >= 0 {
		res.ActiveParameter = protocol.NewNullable(uint32(h.Active))
	}
	return res, nil
}

// locationsIn converts locations in files of a study, reading files that are not open to
// convert their ranges.
func (s *Server) locationsIn(d *document, snap analysis.Snapshot, locs []analysis.Location) protocol.LocationSlice {
	out := protocol.LocationSlice{}
	for _, loc := range locs {
		if loc.File == d.rel {
			out = append(out, protocol.Location{URI: protocolURI(d.uri), Range: rangeOf(d.Lines(), loc.Range)})
			continue
		}
		if d.root == "" {
			continue
		}
		target := fsPath(d.root, loc.File)
		if od := s.openByPath(target); od != nil {
			out = append(out, protocol.Location{URI: protocolURI(od.uri), Range: rangeOf(od.Lines(), loc.Range)})
			continue
		}
		var r protocol.Range
		if text, err := snap.ReadFile(path.Clean(loc.File)); err == nil && !loc.Range.Empty() {
			r = rangeOf(analysis.NewLines(text), loc.Range)
		}
		out = append(out, protocol.Location{URI: fileURI(target), Range: r})
	}
	return out
}
