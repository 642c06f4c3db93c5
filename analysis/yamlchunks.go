package analysis

import (
	"bytes"
	"runtime"
	"sync"
)

// Large project files (thousands of actions) are parsed in pieces: every top-level entry
// and every action under `actions:` is an independent block of lines, so each can be
// parsed on its own, in parallel, and reused from a cache when its text has not changed
// (the usual case after an edit in the editor). Files that do not have this plain block
// shape, and files with syntax errors, take the whole-file path of ParseYAML instead.

// chunkCache keeps parsed chunks by their exact text, with the offset the chunk had when
// it was parsed. Trees are never modified after parsing, so a chunk found at the same offset
// is shared as it is; one that moved is copied with shifted ranges.
type chunkCache struct {
	mu    sync.Mutex
	m     map[string]cachedChunk
	bytes int
}

type cachedChunk struct {
	node *Node
	base int
}

// maxCacheBytes bounds the text held by the cache; it is cleared when full.
const maxCacheBytes = 32 << 20

var parseCache = &chunkCache{m: map[string]cachedChunk{}}

// cacheEnabled lets benchmarks measure cold parses.
var cacheEnabled = true

func (c *chunkCache) get(key []byte, base int) *Node {
	if !cacheEnabled {
		return nil
	}
	c.mu.Lock()
	e, ok := c.m[string(key)]
	c.mu.Unlock()
	if !ok {
		return nil
	}
	if e.base == base {
		return e.node
	}
	return cloneShift(e.node, base-e.base)
}

func (c *chunkCache) put(key []byte, n *Node, base int) {
	if !cacheEnabled {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bytes+len(key) > maxCacheBytes {
		c.m = map[string]cachedChunk{}
		c.bytes = 0
	}
	if _, ok := c.m[string(key)]; !ok {
		c.bytes += len(key)
	}
	c.m[string(key)] = cachedChunk{node: n, base: base}
}

// minChunkedSize is the file size from which chunked parsing pays off.
const minChunkedSize = 16 << 10

type chunk struct {
	start, end int
	action     bool // a child of `actions:`
}

// splitChunks cuts text into top-level entries and the actions of a block `actions:`
// entry. ok is false when the file does not have the plain shape this relies on.
func splitChunks(text []byte, lines *Lines) (chunks []chunk, actionsKey Range, ok bool) {
	n := lines.Count()
	type entry struct{ first, last int }
	var tops []entry
	for l := 0; l < n; l++ {
		s, e := lines.Start(l), lines.End(l)
		if s == e {
			continue
		}
		switch text[s] {
		case ' ', '#', '\r':
			if text[s] == ' ' && len(tops) == 0 {
				if _, content := lineIndent(text, lines, l); content {
					return nil, Range{}, false // indented content before any key
				}
			}
			continue
		case '\t', '-', '.', '%', '[', '{', '&', '*', '!', '?', '|', '>', '"', '\'':
			return nil, Range{}, false
		}
		if len(tops) > 0 {
			tops[len(tops)-1].last = l - 1
		}
		tops = append(tops, entry{l, n - 1})
	}
	if len(tops) == 0 {
		return nil, Range{}, false
	}
	for _, t := range tops {
		s, e := lines.Start(t.first), lines.End(t.first)
		head := bytes.TrimRight(text[s:e], " \r")
		if !bytes.Equal(head, []byte("actions:")) {
			chunks = append(chunks, chunk{start: s, end: lines.End(t.last)})
			continue
		}
		actionsKey = Range{s, s + len("actions")}
		childIndent := -1
		cur := -1
		for l := t.first + 1; l <= t.last; l++ {
			ind, content := lineIndent(text, lines, l)
			if !content {
				continue
			}
			if childIndent < 0 {
				childIndent = ind
			}
			if ind < childIndent {
				return nil, Range{}, false
			}
			if ind == childIndent {
				ls := lines.Start(l)
				if text[ls+ind] == '-' || text[ls+ind] == '\t' || bytes.IndexByte(text[ls:ls+ind], '\t') >= 0 {
					return nil, Range{}, false
				}
				if cur >= 0 {
					chunks[cur].end = lines.End(l - 1)
				}
				chunks = append(chunks, chunk{start: ls, action: true})
				cur = len(chunks) - 1
			}
		}
		if cur >= 0 {
			chunks[cur].end = lines.End(t.last)
		}
		if childIndent < 0 {
			// `actions:` with nothing under it: an ordinary (null) entry.
			chunks = append(chunks, chunk{start: s, end: lines.End(t.last)})
			actionsKey = Range{}
		}
	}
	return chunks, actionsKey, true
}

// parseChunked parses a plain-shaped file chunk by chunk. It returns nil when the file
// must take the whole-file path (odd shape, or any chunk with an error).
func parseChunked(text []byte, lines *Lines) *Node {
	chunks, actionsKey, ok := splitChunks(text, lines)
	if !ok {
		return nil
	}
	nodes := make([]*Node, len(chunks))
	failed := false
	var mu sync.Mutex
	work := make(chan int)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				ch := chunks[i]
				src := text[ch.start:ch.end]
				n := parseCache.get(src, ch.start)
				if n == nil {
					n = fastChunk(src, ch.start)
					if n != nil {
						parseCache.put(src, n, ch.start)
						nodes[i] = n
						continue
					}
				}
				if n == nil {
					root, perr := parseAt(src, NewLines(src), ch.start)
					if perr != nil || root == nil || root.Kind != KindMapping || len(root.Pairs) != 1 {
						mu.Lock()
						failed = true
						mu.Unlock()
						continue
					}
					n = root
					parseCache.put(src, n, ch.start)
				}
				nodes[i] = n
			}
		}()
	}
	for i := range chunks {
		work <- i
	}
	close(work)
	wg.Wait()
	if failed {
		return nil
	}
	root := &Node{Kind: KindMapping}
	var actions *Node
	for i, ch := range chunks {
		p := nodes[i].Pairs[0]
		if !ch.action {
			root.Pairs = append(root.Pairs, p)
			continue
		}
		if actions == nil {
			actions = &Node{Kind: KindMapping, Range: p.Key.Range}
			key := &Node{Kind: KindScalar, Tag: "str", Value: "actions", Range: actionsKey}
			root.Pairs = append(root.Pairs, &Pair{Key: key, Value: actions})
		}
		actions.Pairs = append(actions.Pairs, p)
		actions.Range.End = max(p.Value.Range.End, p.Key.Range.End)
	}
	if len(root.Pairs) == 0 {
		return nil
	}
	// Keep the top-level entries in file order (actions may sit between others).
	sortPairsByStart(root.Pairs)
	root.Range = Range{root.Pairs[0].Key.Range.Start, max(root.Pairs[len(root.Pairs)-1].Value.Range.End, root.Pairs[len(root.Pairs)-1].Key.Range.End)}
	return root
}

func sortPairsByStart(ps []*Pair) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].Key.Range.Start < ps[j-1].Key.Range.Start; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// cloneShift copies a tree, moving every range by delta bytes.
func cloneShift(n *Node, delta int) *Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Range = Range{n.Range.Start + delta, n.Range.End + delta}
	if n.Pairs != nil {
		c.Pairs = make([]*Pair, len(n.Pairs))
		for i, p := range n.Pairs {
			c.Pairs[i] = &Pair{Key: cloneShift(p.Key, delta), Value: cloneShift(p.Value, delta)}
		}
	}
	if n.Items != nil {
		c.Items = make([]*Node, len(n.Items))
		for i, it := range n.Items {
			c.Items[i] = cloneShift(it, delta)
		}
	}
	return &c
}
