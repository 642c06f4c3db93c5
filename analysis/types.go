// Package analysis turns the files of a study into diagnostics and answers position queries
// (hover, completion, definition) about them. It is pure: it reads files only through a
// Snapshot, never prints, and knows nothing about LSP. Positions are byte offsets into the
// file's text; conversion to lines and columns happens at the edges (see Lines).
package analysis

import (
	"sort"
)

// Severity of a diagnostic, ordered from most to least severe.
type Severity int

const (
	SeverityError Severity = iota + 1
	SeverityWarning
	SeverityInformation
	SeverityHint
)

// String returns the lower-case name used in CLI output ("error", "warning", ...).
func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	case SeverityInformation:
		return "information"
	case SeverityHint:
		return "hint"
	}
	return "unknown"
}

// Range is a half-open span [Start, End) of byte offsets into a file.
type Range struct {
	Start, End int
}

// Contains reports whether offset off lies inside r (the end is inclusive, so a cursor just
// after a word still counts as on it).
func (r Range) Contains(off int) bool { return off >= r.Start && off <= r.End }

// Empty reports whether the range covers no bytes.
func (r Range) Empty() bool { return r.End <= r.Start }

// TextEdit replaces the bytes of Range with NewText.
type TextEdit struct {
	Range   Range
	NewText string
}

// Fix is a quick fix: a titled set of edits to the same file as the diagnostic.
type Fix struct {
	Title string
	Edits []TextEdit
}

// Related points at another place that explains a diagnostic (e.g. the first of two
// duplicate keys).
type Related struct {
	File    string
	Range   Range
	Message string
}

// Diagnostic is one problem found in a file.
type Diagnostic struct {
	File     string // path relative to the study root, with forward slashes
	Range    Range
	Severity Severity
	Code     string // stable code, e.g. "PY012"; see Codes
	Message  string
	Related  []Related
	Fixes    []Fix
}

// SortDiagnostics orders diagnostics by file, then position, then code, so output is stable.
func SortDiagnostics(ds []Diagnostic) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Range.Start != b.Range.Start {
			return a.Range.Start < b.Range.Start
		}
		if a.Range.End != b.Range.End {
			return a.Range.End < b.Range.End
		}
		return a.Code < b.Code
	})
}

// Snapshot is a read-only view of a study's files: the disk, overlaid by unsaved editor
// buffers. Paths are relative to the study root and use forward slashes.
type Snapshot interface {
	// ReadFile returns the contents of a file, or an error if it cannot be read.
	ReadFile(path string) ([]byte, error)
	// Exists reports whether a file or directory exists at path.
	Exists(path string) bool
	// Files lists every file of the study (relative paths), excluding .git.
	Files() []string
}
