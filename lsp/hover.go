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
	if d.kind != kindProject {
		return nil, nil
	}
	l := d.Lines()
	h, ok := analysis.HoverProject(s.snapshotFor(d, s.docsOf(ctx)), d.Project(), offsetOf(l, p.Position))
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
