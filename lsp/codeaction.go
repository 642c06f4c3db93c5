package lsp

import (
	"context"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

// CodeAction implements protocol.Server: the quick fixes the checker attached to the
// diagnostics under the cursor or selection.
func (s *Server) CodeAction(ctx context.Context, p *protocol.CodeActionParams) ([]protocol.CommandOrCodeAction, error) {
	d, err := s.doc(ctx, p.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	generate := s.generateActions(d, s.docsOf(ctx), p.Context.Only)
	if d.kind == kindOther || !wantsQuickFix(p.Context.Only) {
		return append([]protocol.CommandOrCodeAction{}, generate...), nil
	}
	l := d.Lines()
	want := byteRange(l, p.Range)
	out := []protocol.CommandOrCodeAction{}
	ds := s.docsOf(ctx)
	for _, ad := range s.diagnosticsOf(d, ds) {
		if ad.Range.Start > want.End || want.Start > ad.Range.End {
			continue
		}
		out = append(out, s.importActions(ctx, d, ds, ad)...)
		if len(ad.Fixes) == 0 {
			continue
		}
		pd := s.toProtocolDiagnostic(d, ad)
		for _, fix := range ad.Fixes {
			edits := make([]protocol.TextEdit, 0, len(fix.Edits))
			for _, e := range fix.Edits {
				edits = append(edits, protocol.TextEdit{Range: rangeOf(l, e.Range), NewText: e.NewText})
			}
			out = append(out, &protocol.CodeAction{
				Title:       fix.Title,
				Kind:        ptr(protocol.CodeActionKindQuickFix),
				Diagnostics: []protocol.Diagnostic{pd},
				IsPreferred: ptr(len(ad.Fixes) == 1),
				Edit:        &protocol.WorkspaceEdit{Changes: map[uri.URI][]protocol.TextEdit{uri.URI(d.uri): edits}},
			})
		}
	}
	return append(out, generate...), nil
}

func wantsQuickFix(only []protocol.CodeActionKind) bool {
	if len(only) == 0 {
		return true
	}
	for _, k := range only {
		if k == protocol.CodeActionKindQuickFix || k == "" {
			return true
		}
	}
	return false
}
