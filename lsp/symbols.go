package lsp

import (
	"context"

	"go.lsp.dev/protocol"

	"github.com/opensafely-core/osls/analysis"
)

// DocumentSymbol implements protocol.Server: the outline of project.yaml, with its actions.
func (s *Server) DocumentSymbol(ctx context.Context, p *protocol.DocumentSymbolParams) (protocol.DocumentSymbolResult, error) {
	d, err := s.doc(ctx, p.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	if d.kind != kindProject {
		return protocol.DocumentSymbolSlice{}, nil
	}
	return protocol.DocumentSymbolSlice(toSymbols(d.Lines(), analysis.ProjectSymbols(d.Project()))), nil
}

var symbolKinds = map[analysis.SymbolKind]protocol.SymbolKind{
	analysis.SymbolSection: protocol.SymbolKindNamespace,
	analysis.SymbolAction:  protocol.SymbolKindFunction,
	analysis.SymbolSetting: protocol.SymbolKindProperty,
}

func toSymbols(l *analysis.Lines, syms []analysis.Symbol) []protocol.DocumentSymbol {
	out := make([]protocol.DocumentSymbol, 0, len(syms))
	for _, sym := range syms {
		ps := protocol.DocumentSymbol{
			Name:           sym.Name,
			Kind:           symbolKinds[sym.Kind],
			Range:          rangeOf(l, sym.Range),
			SelectionRange: rangeOf(l, sym.Selection),
		}
		if ps.Name == "" {
			ps.Name = "(unnamed)"
		}
		if sym.Detail != "" {
			ps.Detail = ptr(sym.Detail)
		}
		if len(sym.Children) > 0 {
			ps.Children = toSymbols(l, sym.Children)
		}
		out = append(out, ps)
	}
	return out
}
