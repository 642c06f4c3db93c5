package lsp

import (
	"context"
	"regexp"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/opensafely-core/osls/analysis"
)

// Completion implements protocol.Server.
func (s *Server) Completion(ctx context.Context, p *protocol.CompletionParams) (protocol.CompletionResult, error) {
	d, err := s.doc(ctx, p.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	ds := s.docsOf(ctx)
	l := d.Lines()
	off := offsetOf(l, p.Position)
	var cs []analysis.Completion
	incomplete := false
	switch d.kind {
	case kindProject:
		cs, incomplete = analysis.CompleteProjectList(s.snapshotFor(d, ds), d.Project(), off)
	case kindPython:
		cs = s.ehrqlQuery(d, ds).Complete(off)
	case kindCodelists:
		cs = s.completeCodelistsTxt(ctx, d, off)
	case kindDummySpec:
		cs = s.completeDummySpec(d, ds, off)
	default:
		return protocol.CompletionItemSlice{}, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, protocol.ErrRequestCancelled
	}
	caps := s.clientCaps()
	items := make([]protocol.CompletionItem, 0, len(cs))
	for _, c := range cs {
		items = append(items, toCompletionItem(l, c, caps))
	}
	return &protocol.CompletionList{Items: items, IsIncomplete: incomplete}, nil
}

func (s *Server) clientCaps() clientCaps {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.caps
}

var completionKinds = map[analysis.CompletionKind]protocol.CompletionItemKind{
	analysis.CompleteKey:     protocol.CompletionItemKindProperty,
	analysis.CompleteValue:   protocol.CompletionItemKindValue,
	analysis.CompleteImage:   protocol.CompletionItemKindModule,
	analysis.CompleteTag:     protocol.CompletionItemKindConstant,
	analysis.CompleteCommand: protocol.CompletionItemKindKeyword,
	analysis.CompleteFlag:    protocol.CompletionItemKindField,
	analysis.CompleteFile:    protocol.CompletionItemKindFile,
	analysis.CompleteAction:  protocol.CompletionItemKindReference,
	analysis.CompleteSnippet: protocol.CompletionItemKindSnippet,

	analysis.CompleteField:    protocol.CompletionItemKindField,
	analysis.CompleteMethod:   protocol.CompletionItemKindMethod,
	analysis.CompleteFunction: protocol.CompletionItemKindFunction,
	analysis.CompleteModule:   protocol.CompletionItemKindModule,
	analysis.CompleteClass:    protocol.CompletionItemKindClass,
	analysis.CompleteArgument: protocol.CompletionItemKindVariable,
}

func toCompletionItem(l *analysis.Lines, c analysis.Completion, caps clientCaps) protocol.CompletionItem {
	insert := c.Insert
	item := protocol.CompletionItem{
		Label:    c.Label,
		Kind:     completionKinds[c.Kind],
		SortText: protocol.NewOptional(c.Sort),
	}
	if c.Detail != "" {
		item.Detail = protocol.NewOptional(c.Detail)
	}
	if c.Doc != "" {
		item.Documentation = markup(c.Doc, caps)
	}
	if c.Snippet && caps.snippets {
		item.InsertTextFormat = protocol.InsertTextFormatSnippet
	} else if c.Snippet {
		insert = plainSnippet(insert)
	}
	item.TextEdit = &protocol.TextEdit{Range: rangeOf(l, c.Replace), NewText: insert}
	item.FilterText = protocol.NewOptional(c.Label)
	return item
}

var (
	snippetPlaceholder = regexp.MustCompile(`\$\{\d+:([^}]*)\}`)
	snippetTabstop     = regexp.MustCompile(`\$\{?\d+\}?`)
)

// plainSnippet turns snippet text into plain text for clients without snippet support:
// placeholders become their default text and tab stops vanish.
func plainSnippet(s string) string {
	for snippetPlaceholder.MatchString(s) {
		s = snippetPlaceholder.ReplaceAllString(s, "$1")
	}
	s = snippetTabstop.ReplaceAllString(s, "")
	return strings.ReplaceAll(s, `\$`, "$")
}

// markup returns documentation as markdown, or as plain text for clients that want it.
func markup(md string, caps clientCaps) protocol.InlayHintTooltip {
	if caps.markdown {
		return &protocol.MarkupContent{Kind: protocol.MarkupKindMarkdown, Value: md}
	}
	return protocol.String(md)
}
