package lsp

import (
	"go.lsp.dev/protocol"

	"github.com/opensafely-core/osls/analysis"
)

// Positions: analysis works in byte offsets; LSP speaks 0-based lines and UTF-16 columns.
// These helpers are the only place the two meet.

// offsetOf converts an LSP position to a byte offset, clamping positions past the end of a
// line or of the text.
func offsetOf(l *analysis.Lines, p protocol.Position) int {
	return l.OffsetUTF16(int(p.Line), int(p.Character))
}

// positionOf converts a byte offset to an LSP position.
func positionOf(l *analysis.Lines, off int) protocol.Position {
	line, col := l.UTF16Pos(off)
	return protocol.Position{Line: uint32(line), Character: uint32(col)}
}

// rangeOf converts a byte range to an LSP range.
func rangeOf(l *analysis.Lines, r analysis.Range) protocol.Range {
	return protocol.Range{Start: positionOf(l, r.Start), End: positionOf(l, r.End)}
}

// byteRange converts an LSP range to a byte range.
func byteRange(l *analysis.Lines, r protocol.Range) analysis.Range {
	return analysis.Range{Start: offsetOf(l, r.Start), End: offsetOf(l, r.End)}
}
