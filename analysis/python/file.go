package python

import (
	"bytes"
	"fmt"
	"runtime"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

// File is a parsed Python source file. It is immutable once returned and
// safe for concurrent reading.
type File struct {
	// Source is the parsed text. It must not be modified.
	Source []byte
	// Module is the syntax tree; it is never nil.
	Module *Module
	// Errors lists the syntax errors in source order.
	Errors []SyntaxError

	handle *treeHandle // tree-sitter tree kept for Reparse
	top    []topEntry  // converted top-level statements, for reuse by Reparse
}

// SyntaxError is a syntax error found by the parser. The statement it
// affects appears in the tree as an *Unknown.
type SyntaxError struct {
	Range
	Message string
}

// Error implements error.
func (e SyntaxError) Error() string {
	return fmt.Sprintf("%d-%d: %s", e.Start, e.End, e.Message)
}

// Edit describes a change that turned a File's Source into a new text: the
// old bytes [Start, OldEnd) were replaced by the new bytes [Start, NewEnd).
type Edit struct {
	Start, OldEnd, NewEnd int
}

// Parse parses src (UTF-8 Python source). It never fails: syntax errors are
// reported in File.Errors and the statements they affect become *Unknown.
// src is kept as File.Source and must not be modified afterwards.
func Parse(src []byte) *File {
	grammar()
	tree := parseTree(src, nil)
	return newFile(src, tree, nil)
}

// Reparse parses newSrc, reusing as much as possible of f: tree-sitter
// re-parses incrementally, and top-level statements whose text did not
// change are shared with f (or copied with shifted ranges when they moved).
// edits describes how f.Source became newSrc; a single edit is checked
// against the two texts and otherwise (none, several, or inconsistent)
// the changed region is computed from the texts themselves. The result is
// the same tree that Parse(newSrc) returns. f remains usable.
func (f *File) Reparse(newSrc []byte, edits []Edit) *File {
	grammar()
	old := f.handle.clone()
	if old == nil {
		return Parse(newSrc)
	}
	defer old.Close()
	e := resolveEdit(f.Source, newSrc, edits)
	old.Edit(&sitter.InputEdit{
		StartByte:      uint(e.Start),
		OldEndByte:     uint(e.OldEnd),
		NewEndByte:     uint(e.NewEnd),
		StartPosition:  pointAt(f.Source, e.Start),
		OldEndPosition: pointAt(f.Source, e.OldEnd),
		NewEndPosition: pointAt(newSrc, e.NewEnd),
	})
	tree := parseTree(newSrc, old)
	return newFile(newSrc, tree, &reuse{old: f, edit: e})
}

// Close releases the tree-sitter tree kept for Reparse. It is optional (a
// cleanup releases it once the File is unreachable) but frees C memory
// sooner. The syntax tree stays valid; Reparse on a closed File parses
// from scratch.
func (f *File) Close() {
	f.handle.close()
}

func newFile(src []byte, tree *sitter.Tree, ru *reuse) *File {
	h := &treeHandle{tree: tree}
	f := &File{Source: src, handle: h}
	b := &builder{src: src, reuse: ru}
	if tree == nil {
		// Only possible if tree-sitter gave up; keep the File usable.
		f.Module = &Module{Range: Range{0, len(src)}, Body: []Stmt{&Unknown{Range: Range{0, len(src)}, Kind: "ERROR"}}}
		f.Errors = []SyntaxError{{Range: Range{0, 0}, Message: "the file could not be parsed"}}
		return f
	}
	if ru == nil {
		b.build(flatten(tree, nil))
	} else {
		stub, size := b.plan(topLevel(tree))
		b.build(flattenStubs(tree, nil, stub, size))
	}
	f.Module = &Module{Range: Range{0, len(src)}, Body: b.body}
	f.Errors = b.errs
	f.top = b.top
	runtime.AddCleanup(f, func(h *treeHandle) { h.close() }, h)
	return f
}

// resolveEdit returns one edit that turns old into new: edits[0] if it is
// the only one and agrees with both texts, or else the span between their
// longest common prefix and suffix.
func resolveEdit(old, new []byte, edits []Edit) Edit {
	if len(edits) == 1 {
		e := edits[0]
		if 0 <= e.Start && e.Start <= e.OldEnd && e.OldEnd <= len(old) &&
			e.Start <= e.NewEnd && e.NewEnd <= len(new) &&
			len(old)-e.OldEnd == len(new)-e.NewEnd &&
			bytes.Equal(old[:e.Start], new[:e.Start]) &&
			bytes.Equal(old[e.OldEnd:], new[e.NewEnd:]) {
			return e
		}
	}
	p := 0
	for p < len(old) && p < len(new) && old[p] == new[p] {
		p++
	}
	s := 0
	for s < len(old)-p && s < len(new)-p && old[len(old)-1-s] == new[len(new)-1-s] {
		s++
	}
	return Edit{Start: p, OldEnd: len(old) - s, NewEnd: len(new) - s}
}

// pointAt returns the tree-sitter row and byte column of offset.
func pointAt(src []byte, offset int) sitter.Point {
	row := bytes.Count(src[:offset], []byte{'\n'})
	col := offset - (bytes.LastIndexByte(src[:offset], '\n') + 1)
	return sitter.Point{Row: uint(row), Column: uint(col)}
}
