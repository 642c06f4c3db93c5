// Package python parses Python source into osls's own syntax tree, so that
// the ehrQL analyser never sees tree-sitter types.
//
// # Design
//
// Parsing uses tree-sitter (github.com/tree-sitter/go-tree-sitter with the
// tree-sitter-python v0.25.0 grammar) in three steps:
//
//  1. tree-sitter parses the whole file (or, in Reparse, re-parses it
//     incrementally from the previous tree).
//  2. One cgo call copies the tree into a flat preorder slice of plain
//     structs (flatten.go). Walking a tree through the Go bindings costs
//     several cgo calls per node; copying it once keeps the conversion in
//     pure Go.
//  3. The converter turns the flat tree into the node types in ast.go:
//     statements (Stmt), expressions (Expr) and a few helper nodes (Alias,
//     Param, Keyword, DictItem, Comprehension, WithItem, ExceptHandler and
//     the f-string parts). Parentheses disappear as in Python's ast; string
//     literals are decoded; implicit concatenations become one node.
//
// Every node embeds a Range of byte offsets into File.Source, and every
// child's range lies within its parent's, which NodeAt relies on.
//
// # Syntax errors
//
// tree-sitter always produces a tree, marking ERROR and MISSING nodes. An
// unclosed bracket or a half-typed line, however, often makes it swallow
// the rest of the file into one error. So when a top-level statement has
// an error, the lines around it are re-parsed on their own, cut before
// every line that starts a new top-level statement in column 0. Each
// broken statement becomes an *Unknown (carrying the well-formed
// expressions found inside it), its error goes to File.Errors, and the
// statements around it are kept. tree-sitter also accepts a few things
// Python does not (an attribute continued on the next line); these are
// reported as errors too. Conversion never panics on any input (see
// FuzzParse).
//
// # Incremental re-parsing
//
// A File keeps its tree-sitter tree (released by Close or, failing that,
// by a cleanup when the File becomes unreachable). Reparse edits a copy of
// that tree, re-parses with it, and copies only the top-level statements
// whose text changed: the others are shared with the old File, or copied
// with shifted ranges when they come after the edit. The result always
// equals a fresh Parse of the new text (tested, and fuzzed).
//
// # Concurrency
//
// Files are immutable and safe to read concurrently. tree-sitter parsers
// are not goroutine-safe, so each parse takes one from a bounded pool.
//
// # Performance notes
//
// go-tree-sitter routes every C allocation through a Go callback and feeds
// source text through a callback that copies the rest of the document on
// each call; both made parsing several times slower. This package installs
// libc's allocator in the C library and calls ts_parser_parse_string
// directly (see flatten.go), relying on go-tree-sitter's Parser, Tree and
// Node being thin wrappers of the C pointers (checked at init).
package python
