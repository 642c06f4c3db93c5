package python

/*
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>

// The declarations below mirror tree_sitter/api.h (v0.25) of
// github.com/tree-sitter/go-tree-sitter, which compiles and links the
// tree-sitter runtime into the binary. Only the handful of functions the
// flattener needs are declared; the layouts of TSNode and TSTreeCursor are
// part of tree-sitter's stable C ABI.
typedef struct TSTree TSTree;
typedef uint16_t TSSymbol;
typedef uint16_t TSFieldId;
typedef struct TSNode {
	uint32_t context[4];
	const void *id;
	const TSTree *tree;
} TSNode;
typedef struct TSTreeCursor {
	const void *tree;
	const void *id;
	uint32_t context[3];
} TSTreeCursor;

TSSymbol ts_node_symbol(TSNode self);
uint32_t ts_node_start_byte(TSNode self);
uint32_t ts_node_end_byte(TSNode self);
bool ts_node_is_named(TSNode self);
bool ts_node_is_missing(TSNode self);
bool ts_node_is_extra(TSNode self);
bool ts_node_has_error(TSNode self);
bool ts_node_is_error(TSNode self);
uint32_t ts_node_descendant_count(TSNode self);
typedef struct TSParser TSParser;
TSTree *ts_parser_parse_string(TSParser *self, const TSTree *old_tree, const char *string, uint32_t length);
void ts_set_allocator(void *(*new_malloc)(size_t), void *(*new_calloc)(size_t, size_t), void *(*new_realloc)(void *, size_t), void (*new_free)(void *));

static void osls_use_libc_allocator(void) {
	ts_set_allocator(malloc, calloc, realloc, free);
}
TSTreeCursor ts_tree_cursor_new(TSNode node);
void ts_tree_cursor_delete(TSTreeCursor *self);
TSNode ts_tree_cursor_current_node(const TSTreeCursor *self);
TSFieldId ts_tree_cursor_current_field_id(const TSTreeCursor *self);
bool ts_tree_cursor_goto_parent(TSTreeCursor *self);
bool ts_tree_cursor_goto_next_sibling(TSTreeCursor *self);
bool ts_tree_cursor_goto_first_child(TSTreeCursor *self);

enum {
	OSLS_NAMED = 1,
	OSLS_MISSING = 2,
	OSLS_EXTRA = 4,
	OSLS_HAS_ERROR = 8,
	OSLS_ERROR = 16,
};

typedef struct osls_flat {
	uint32_t start;
	uint32_t end;
	int32_t skip;   // index just past this node's subtree (preorder)
	uint16_t kind;  // public symbol
	uint16_t field; // field id within the parent, 0 if none
	uint16_t flags;
	uint16_t pad;
} osls_flat;

static uint32_t osls_count(const TSNode *root) {
	return ts_node_descendant_count(*root);
}

// osls_flatten writes the subtree of root in preorder into out (capacity cap)
// and returns the number of nodes visited, or -1 if memory ran out. When the
// result exceeds cap, only the first cap nodes were written.
// If stub is not NULL, the root's child number k (counting every child)
// is written without its descendants when k < nstub and stub[k] != 0.
static int64_t osls_flatten(const TSNode *root, osls_flat *out, int64_t cap, const uint8_t *stub, int64_t nstub) {
	TSTreeCursor c = ts_tree_cursor_new(*root);
	int64_t n = 0;
	int64_t child = -1; // index of the current child of root
	int32_t *stack = NULL;
	size_t sp = 0, scap = 0;
	for (;;) {
		TSNode node = ts_tree_cursor_current_node(&c);
		if (n < cap) {
			osls_flat *f = &out[n];
			f->start = ts_node_start_byte(node);
			f->end = ts_node_end_byte(node);
			f->skip = 0;
			f->kind = ts_node_symbol(node);
			f->field = ts_tree_cursor_current_field_id(&c);
			uint16_t fl = 0;
			if (ts_node_is_named(node)) fl |= OSLS_NAMED;
			if (ts_node_is_missing(node)) fl |= OSLS_MISSING;
			if (ts_node_is_extra(node)) fl |= OSLS_EXTRA;
			if (ts_node_has_error(node)) fl |= OSLS_HAS_ERROR;
			if (ts_node_is_error(node)) fl |= OSLS_ERROR;
			f->flags = fl;
			f->pad = 0;
		}
		if (sp == scap) {
			size_t ncap = scap ? scap * 2 : 64;
			int32_t *ns = realloc(stack, ncap * sizeof(int32_t));
			if (!ns) {
				free(stack);
				ts_tree_cursor_delete(&c);
				return -1;
			}
			stack = ns;
			scap = ncap;
		}
		bool descend = true;
		if (sp == 1) {
			child++;
			if (stub && child < nstub && stub[child]) {
				descend = false;
			}
		}
		stack[sp++] = (int32_t)n;
		n++;
		if (descend && ts_tree_cursor_goto_first_child(&c)) {
			continue;
		}
		for (;;) {
			int32_t i = stack[--sp];
			if (i < cap) {
				out[i].skip = (int32_t)n;
			}
			if (ts_tree_cursor_goto_next_sibling(&c)) {
				break;
			}
			if (!ts_tree_cursor_goto_parent(&c)) {
				free(stack);
				ts_tree_cursor_delete(&c);
				return n;
			}
		}
	}
}

// osls_top writes one entry per child of root, with skip holding the size
// of the child's subtree, and returns the number of children (writing at
// most cap).
static int64_t osls_top(const TSNode *root, osls_flat *out, int64_t cap) {
	TSTreeCursor c = ts_tree_cursor_new(*root);
	int64_t n = 0;
	if (ts_tree_cursor_goto_first_child(&c)) {
		do {
			TSNode node = ts_tree_cursor_current_node(&c);
			if (n < cap) {
				osls_flat *f = &out[n];
				f->start = ts_node_start_byte(node);
				f->end = ts_node_end_byte(node);
				f->skip = (int32_t)ts_node_descendant_count(node);
				f->kind = ts_node_symbol(node);
				f->field = 0;
				uint16_t fl = 0;
				if (ts_node_is_named(node)) fl |= OSLS_NAMED;
				if (ts_node_is_missing(node)) fl |= OSLS_MISSING;
				if (ts_node_is_extra(node)) fl |= OSLS_EXTRA;
				if (ts_node_has_error(node)) fl |= OSLS_HAS_ERROR;
				if (ts_node_is_error(node)) fl |= OSLS_ERROR;
				f->flags = fl;
				f->pad = 0;
			}
			n++;
		} while (ts_tree_cursor_goto_next_sibling(&c));
	}
	ts_tree_cursor_delete(&c);
	return n;
}
*/
import "C"

import (
	"unsafe"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

// Flag bits of flatNode.flags.
const (
	flagNamed    = C.OSLS_NAMED
	flagMissing  = C.OSLS_MISSING
	flagExtra    = C.OSLS_EXTRA
	flagHasError = C.OSLS_HAS_ERROR
	flagError    = C.OSLS_ERROR
)

// flatNode is one tree-sitter node copied into Go memory. The nodes of a
// tree are stored in preorder: a node's first child (if any) follows it
// directly, and skip is the index just past its subtree, so the next sibling
// of node i is at nodes[i].skip.
type flatNode struct {
	start, end uint32
	skip       int32
	kind       uint16
	field      uint16
	flags      uint16
	_          uint16
}

func init() {
	if unsafe.Sizeof(flatNode{}) != unsafe.Sizeof(C.osls_flat{}) {
		panic("python: flatNode does not match osls_flat")
	}
	if unsafe.Sizeof(sitter.Node{}) != unsafe.Sizeof(C.TSNode{}) ||
		unsafe.Sizeof(sitter.Parser{}) != unsafe.Sizeof(uintptr(0)) ||
		unsafe.Sizeof(sitter.Tree{}) != unsafe.Sizeof(uintptr(0)) {
		panic("python: go-tree-sitter's Node, Parser or Tree layout changed")
	}
	// go-tree-sitter routes every allocation of the C library through a
	// cgo callback into Go (so that Go code may replace the allocator),
	// which makes parsing several times slower. Its default allocator is
	// libc's anyway, so hand the C library libc's functions directly.
	C.osls_use_libc_allocator()
}

// parseString parses src with p, reusing old (which must have been edited
// to match src) if it is not nil; it returns nil only if parsing was
// cancelled. go-tree-sitter's Parser.Parse feeds the text through a Go
// callback that copies the rest of the document on every call, so this
// calls ts_parser_parse_string directly. Parser and Tree each hold just the
// C pointer, as the init check verifies.
func parseString(p *sitter.Parser, src []byte, old *sitter.Tree) *sitter.Tree {
	cp := *(**C.TSParser)(unsafe.Pointer(p))
	var cold *C.TSTree
	if old != nil {
		cold = *(**C.TSTree)(unsafe.Pointer(old))
	}
	if len(src) == 0 {
		src = []byte{0} // a valid pointer; the length passed is still 0
		src = src[:0:1]
	}
	text := (*C.char)(unsafe.Pointer(unsafe.SliceData(src)))
	t := C.ts_parser_parse_string(cp, cold, text, C.uint32_t(len(src)))
	if t == nil {
		return nil
	}
	tree := new(sitter.Tree)
	*(**C.TSTree)(unsafe.Pointer(tree)) = t
	return tree
}

// flatten copies the whole tree into a preorder slice with one cgo call
// (two, counting the size query), instead of several cgo calls per node
// through the Go bindings. go-tree-sitter's Node is a struct holding exactly
// one TSNode, which the init check above verifies by size.
func flatten(tree *sitter.Tree, buf []flatNode) []flatNode {
	return flattenStubs(tree, buf, nil, 0)
}

// flattenStubs is flatten, except that each child k of the root with
// stub[k] set is copied without its descendants (Reparse reuses those);
// size is the expected number of nodes.
func flattenStubs(tree *sitter.Tree, buf []flatNode, stub []byte, size int) []flatNode {
	root := tree.RootNode()
	croot := (*C.TSNode)(unsafe.Pointer(root))
	n := int(C.osls_count(croot))
	var cstub *C.uint8_t
	if len(stub) > 0 {
		cstub = (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(stub)))
		n = max(size, 1)
	}
	for {
		if cap(buf) < n {
			buf = make([]flatNode, n)
		}
		buf = buf[:cap(buf)]
		got := int(C.osls_flatten(croot, (*C.osls_flat)(unsafe.Pointer(unsafe.SliceData(buf))), C.int64_t(len(buf)), cstub, C.int64_t(len(stub))))
		if got < 0 {
			return nil
		}
		if got <= len(buf) {
			return buf[:got]
		}
		n = got
	}
}

// topLevel returns one entry per child of the tree's root, in order; skip
// holds the size of each child's subtree rather than an index.
func topLevel(tree *sitter.Tree) []flatNode {
	root := tree.RootNode()
	croot := (*C.TSNode)(unsafe.Pointer(root))
	buf := make([]flatNode, 256)
	for {
		got := int(C.osls_top(croot, (*C.osls_flat)(unsafe.Pointer(unsafe.SliceData(buf))), C.int64_t(len(buf))))
		if got <= len(buf) {
			return buf[:got]
		}
		buf = make([]flatNode, got)
	}
}
