package lsp

import (
	"context"
	"path/filepath"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/opensafely-core/osls/analysis"
)

// Definition implements protocol.Server: a `needs` entry goes to its action, a path in
// `run:` to the file (or to the output declaration of the action that writes it).
func (s *Server) Definition(ctx context.Context, p *protocol.DefinitionParams) (protocol.DefinitionResult, error) {
	d, err := s.doc(ctx, p.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	if d.kind == kindPython {
		ds := s.docsOf(ctx)
		q := s.ehrqlQuery(d, ds)
		locs := q.Definition(offsetOf(d.Lines(), p.Position))
		if len(locs) == 0 {
			return nil, nil
		}
		return s.locationsIn(d, q.Snap, locs), nil
	}
	if d.kind != kindProject {
		return nil, nil
	}
	l := d.Lines()
	locs := analysis.DefinitionProject(s.snapshotFor(d, s.docsOf(ctx)), d.Project(), offsetOf(l, p.Position))
	if len(locs) == 0 {
		return nil, nil
	}
	return s.toLocations(d, locs), nil
}

// References implements protocol.Server: the actions that need the action under the cursor.
func (s *Server) References(ctx context.Context, p *protocol.ReferenceParams) ([]protocol.Location, error) {
	d, err := s.doc(ctx, p.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	if d.kind != kindProject {
		return nil, nil
	}
	l := d.Lines()
	locs := analysis.ReferencesProject(d.Project(), offsetOf(l, p.Position), p.Context.IncludeDeclaration)
	return s.toLocations(d, locs), nil
}

// toLocations converts analysis locations; places in other files point at their start.
func (s *Server) toLocations(d *document, locs []analysis.Location) protocol.LocationSlice {
	out := protocol.LocationSlice{}
	for _, loc := range locs {
		if loc.File == d.rel {
			out = append(out, protocol.Location{URI: uri.URI(d.uri), Range: rangeOf(d.Lines(), loc.Range)})
			continue
		}
		if d.root == "" {
			continue
		}
		target := filepath.Join(d.root, filepath.FromSlash(loc.File))
		if od := s.openByPath(target); od != nil {
			out = append(out, protocol.Location{URI: uri.URI(od.uri), Range: rangeOf(od.Lines(), loc.Range)})
			continue
		}
		out = append(out, protocol.Location{URI: uri.File(target)})
	}
	return out
}

// openByPath finds an open document by its file path.
func (s *Server) openByPath(path string) *document {
	for _, d := range s.docs.snapshot() {
		if d.path == path {
			return d
		}
	}
	return nil
}
