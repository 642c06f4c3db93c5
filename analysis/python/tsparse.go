package python

import (
	"runtime"
	"sync"

	sitter "github.com/tree-sitter/go-tree-sitter"
	tspython "github.com/tree-sitter/tree-sitter-python/bindings/go"
)

// language holds the Python grammar and the tables that translate its
// numeric symbol and field ids into names.
var language = struct {
	once   sync.Once
	lang   *sitter.Language
	kinds  []string // symbol id -> kind name
	fields []string // field id -> field name
}{}

func grammar() *sitter.Language {
	language.once.Do(func() {
		l := sitter.NewLanguage(tspython.Language())
		language.lang = l
		n := l.NodeKindCount()
		language.kinds = make([]string, n)
		for i := range n {
			language.kinds[i] = l.NodeKindForId(uint16(i))
		}
		fc := l.FieldCount()
		language.fields = make([]string, fc+1)
		for i := uint32(1); i <= fc; i++ {
			language.fields[i] = l.FieldNameForId(uint16(i))
		}
		initFieldIDs()
	})
	return language.lang
}

// kindName returns the grammar's name for a symbol id.
func kindName(id uint16) string {
	if int(id) < len(language.kinds) {
		return language.kinds[id]
	}
	return ""
}

// fieldName returns the grammar's name for a field id, or "" for none.
func fieldName(id uint16) string {
	if int(id) < len(language.fields) {
		return language.fields[id]
	}
	return ""
}

// parserPool hands out tree-sitter parsers, which are not safe for
// concurrent use. Idle parsers are kept in a bounded channel; a parser that
// does not fit is closed at once, so no parser is ever left for the garbage
// collector.
var parserPool = make(chan *sitter.Parser, runtime.GOMAXPROCS(0))

func getParser() *sitter.Parser {
	select {
	case p := <-parserPool:
		return p
	default:
	}
	p := sitter.NewParser()
	if err := p.SetLanguage(grammar()); err != nil {
		p.Close()
		panic("python: tree-sitter grammar rejected: " + err.Error())
	}
	return p
}

func putParser(p *sitter.Parser) {
	select {
	case parserPool <- p:
	default:
		p.Close()
	}
}

// parseTree parses src, reusing old (already edited to match src) if it is
// not nil. The caller owns the returned tree.
func parseTree(src []byte, old *sitter.Tree) *sitter.Tree {
	p := getParser()
	defer putParser(p)
	t := parseString(p, src, old)
	if t == nil {
		// Parsing only fails without a language, after a timeout or on
		// cancellation, none of which we set; reset and retry once.
		p.Reset()
		t = parseString(p, src, nil)
	}
	return t
}

// treeHandle owns a tree-sitter tree shared by a File and the Files
// re-parsed from it. It is closed explicitly by File.Close or, failing
// that, by a cleanup once the File is unreachable.
type treeHandle struct {
	mu   sync.Mutex
	tree *sitter.Tree
}

// clone returns an independent copy of the tree, or nil if it was closed.
func (h *treeHandle) clone() *sitter.Tree {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.tree == nil {
		return nil
	}
	return h.tree.Clone()
}

func (h *treeHandle) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.tree != nil {
		h.tree.Close()
		h.tree = nil
	}
}
