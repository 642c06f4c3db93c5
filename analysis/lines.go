package analysis

import (
	"sort"
	"unicode/utf16"
	"unicode/utf8"
)

// Lines indexes the start of every line of a text so byte offsets can be converted to and
// from line/column pairs. Lines and columns are 0-based here; callers add 1 for display.
type Lines struct {
	text   []byte
	starts []int // byte offset of the first byte of each line
}

// NewLines indexes text. "\n" ends a line; a preceding "\r" belongs to the line ending.
func NewLines(text []byte) *Lines {
	starts := make([]int, 1, len(text)/32+1)
	for i, b := range text {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return &Lines{text: text, starts: starts}
}

// Count returns the number of lines (a text without a final newline still has its last line).
func (l *Lines) Count() int { return len(l.starts) }

// Start returns the byte offset at which line begins (clamped to the text).
func (l *Lines) Start(line int) int {
	if line < 0 {
		return 0
	}
	if line >= len(l.starts) {
		return len(l.text)
	}
	return l.starts[line]
}

// End returns the byte offset of the end of line, before its "\n" or "\r\n".
func (l *Lines) End(line int) int {
	if line < 0 {
		return 0
	}
	if line+1 >= len(l.starts) {
		return len(l.text)
	}
	e := l.starts[line+1] - 1
	if e > l.starts[line] && l.text[e-1] == '\r' {
		e--
	}
	return e
}

// Line returns the 0-based line containing byte offset off.
func (l *Lines) Line(off int) int {
	if off <= 0 {
		return 0
	}
	return sort.Search(len(l.starts), func(i int) bool { return l.starts[i] > off }) - 1
}

// clamp keeps off inside the text and on a UTF-8 boundary.
func (l *Lines) clamp(off int) int {
	if off < 0 {
		return 0
	}
	if off > len(l.text) {
		return len(l.text)
	}
	for off > 0 && off < len(l.text) && !utf8.RuneStart(l.text[off]) {
		off--
	}
	return off
}

// CharPos returns the 0-based line and column of off, counting the column in Unicode
// characters (runes), as the CLI shows it.
func (l *Lines) CharPos(off int) (line, col int) {
	off = l.clamp(off)
	line = l.Line(off)
	return line, utf8.RuneCount(l.text[l.starts[line]:off])
}

// UTF16Pos returns the 0-based line and column of off, counting the column in UTF-16 code
// units, as LSP clients do.
func (l *Lines) UTF16Pos(off int) (line, col int) {
	off = l.clamp(off)
	line = l.Line(off)
	for _, r := range string(l.text[l.starts[line]:off]) {
		col += utf16.RuneLen(r)
	}
	return line, col
}

// OffsetChar converts a 0-based line and column counted in characters to a byte offset. A
// column past the end of the line clamps to the line's end.
func (l *Lines) OffsetChar(line, col int) int {
	if line >= len(l.starts) {
		return len(l.text)
	}
	off, end := l.Start(line), l.End(line)
	for i := 0; i < col && off < end; i++ {
		_, n := utf8.DecodeRune(l.text[off:end])
		off += n
	}
	return off
}

// OffsetUTF16 converts a 0-based line and UTF-16 column to a byte offset. A column past the
// end of the line, or in the middle of a surrogate pair, clamps to the nearest character
// boundary at or before it.
func (l *Lines) OffsetUTF16(line, col int) int {
	if line < 0 {
		return 0
	}
	if line >= len(l.starts) {
		return len(l.text)
	}
	off, end := l.Start(line), l.End(line)
	units := 0
	for off < end {
		r, n := utf8.DecodeRune(l.text[off:end])
		w := utf16.RuneLen(r)
		if w < 0 {
			w = 1
		}
		if units+w > col {
			break
		}
		units += w
		off += n
	}
	return off
}
