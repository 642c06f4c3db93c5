package lsp

import (
	"context"

	"go.lsp.dev/protocol"

	"github.com/opensafely-core/osls/analysis"
)

// Hover implements protocol.Server.
func (s *Server) Hover(ctx context.Context, p *protocol.HoverParams) (*protocol.Hover, error) {
	d, err := s.doc(ctx, p.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	l := d.Lines()
	off := offsetOf(l, p.Position)
	var h analysis.Hover
	ok := false
	switch d.kind {
	case kindProject:
		h, ok = analysis.HoverProject(s.snapshotFor(d, s.docsOf(ctx)), d.Project(), off)
	case kindPython:
		h, ok = s.hoverPython(d, s.docsOf(ctx), off)
	case kindCodelists:
		h, ok = s.hoverCodelistsTxt(ctx, d, s.docsOf(ctx), off)
	}
	if !ok {
		return nil, nil
	}
	caps := s.clientCaps()
	kind := protocol.MarkupKindPlainText
	if caps.markdown {
		kind = protocol.MarkupKindMarkdown
	}
	r := rangeOf(l, h.Range)
	return &protocol.Hover{Contents: &protocol.MarkupContent{Kind: kind, Value: h.Markdown}, Range: &r}, nil
}

// hoverPython explains what is under the cursor in a dataset definition: a codelist path, or
// the type and documentation of an ehrQL name.
func (s *Server) hoverPython(d *document, ds docSet, off int) (analysis.Hover, bool) {
	q := s.ehrqlQuery(d, ds)
	if p, r, ok := q.CodelistPathAt(off); ok {
		return analysis.Hover{Range: r, Markdown: s.describeCodelist(q.Snap, p)}, true
	}
	return q.Hover(off)
}
