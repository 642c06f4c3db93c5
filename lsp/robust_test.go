package lsp

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opensafely-core/osls/analysis"
)

// rawClient writes raw frames to a server and reads its messages.
type rawClient struct {
	t    *testing.T
	conn net.Conn
	in   *bufio.Reader
	done chan error
}

func newRawClient(t *testing.T) *rawClient {
	serverSide, clientSide := net.Pipe()
	lg := log.New(testWriter{t}, "server: ", 0)
	s := NewServer(Options{Logger: lg})
	c := &rawClient{t: t, conn: clientSide, in: bufio.NewReader(clientSide), done: make(chan error, 1)}
	go func() { c.done <- s.Run(context.Background(), newResilientStream(serverSide, serverSide, lg)) }()
	return c
}

func (c *rawClient) sendRaw(s string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *rawClient) send(body string) {
	c.sendRaw(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body))
}

// read returns the next message from the server.
func (c *rawClient) read() map[string]any {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n := -1
	for {
		line, err := c.in.ReadString('\n')
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		line = strings.TrimSpace(line)
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			n, _ = strconv.Atoi(v)
		}
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c.in, body); err != nil {
		c.t.Fatalf("read body: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		c.t.Fatalf("bad message %s: %v", body, err)
	}
	return m
}

// response reads messages until the response with the id, skipping notifications.
func (c *rawClient) response(id float64) map[string]any {
	c.t.Helper()
	for {
		m := c.read()
		if _, isCall := m["method"]; isCall {
			continue
		}
		if m["id"] == id {
			return m
		}
		if m["id"] != nil {
			c.t.Fatalf("unexpected response %v", m)
		}
	}
}

func TestMalformedInput(t *testing.T) {
	c := newRawClient(t)
	dir := t.TempDir()
	os.WriteFile(dir+"/project.yaml", []byte(smallProject), 0o644)
	uri := "file://" + dir + "/project.yaml"

	c.send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,"capabilities":{}}}`)
	if r := c.response(1); r["result"] == nil {
		t.Fatalf("initialize: %v", r)
	}
	c.send(`{"jsonrpc":"2.0","method":"initialized","params":{}}`)

	// Not JSON at all: answered with a parse error, and the server carries on.
	c.send(`{this is not json`)
	if r := c.read(); r["error"] == nil || r["error"].(map[string]any)["code"] != float64(-32700) {
		t.Fatalf("garbage body: got %v", r)
	}
	// A broken header, and noise between frames: skipped.
	c.sendRaw("Content-Length: lots\r\n\r\n")
	c.sendRaw("hello\r\n\r\n")
	// Unknown request and notification.
	c.send(`{"jsonrpc":"2.0","id":2,"method":"osls/noSuchThing","params":{}}`)
	if r := c.response(2); r["error"] == nil || r["error"].(map[string]any)["code"] != float64(-32601) {
		t.Fatalf("unknown method: got %v", r)
	}
	c.send(`{"jsonrpc":"2.0","method":"osls/noSuchNotification","params":{}}`)
	// Params of the wrong shape, for a request and for a notification.
	c.send(`{"jsonrpc":"2.0","id":3,"method":"textDocument/hover","params":{"textDocument":5}}`)
	if r := c.response(3); r["error"] == nil {
		t.Fatalf("bad params: got %v", r)
	}
	c.send(`{"jsonrpc":"2.0","method":"textDocument/didChange","params":[1,2,3]}`)
	c.send(`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///not/open","version":2},"contentChanges":[{"text":"x"}]}}`)
	// A cancel for a request that does not exist.
	c.send(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":99}}`)
	// Invalid UTF-8 in a document: the bad bytes become U+FFFD and the document is checked.
	bad := strings.Replace(smallProject, "analyse:", "analyse\xff\xfe:", 1)
	open := fmt.Sprintf(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":%q,"languageId":"yaml","version":1,"text":%s}}}`, uri, jsonString(bad))
	c.send(open)
	c.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":4,"method":"textDocument/hover","params":{"textDocument":{"uri":%q},"position":{"line":7,"character":4}}}`, uri))
	r := c.response(4)
	if r["error"] != nil {
		t.Fatalf("hover after invalid UTF-8: %v", r)
	}
	if !strings.Contains(fmt.Sprint(r["result"]), "analyse\uFFFD`") {
		t.Errorf("hover does not show the replaced bytes: %v", r["result"])
	}
	c.send(`{"jsonrpc":"2.0","id":5,"method":"shutdown"}`)
	c.response(5)
	c.send(`{"jsonrpc":"2.0","method":"exit"}`)
	select {
	case err := <-c.done:
		if err != nil {
			t.Fatalf("server ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server did not exit")
	}
}

// jsonString encodes s as a JSON string without validating UTF-8 (so invalid bytes reach
// the server as they are).
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(ch)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func TestPanicIsRecovered(t *testing.T) {
	c := newTestClient(t, map[string]string{"project.yaml": smallProject}, clientOptions{})
	c.server.panicOn = "textDocument/hover"
	u := c.open("project.yaml", smallProject)
	c.waitDiags(u, 1)
	err := c.tryCall("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": u}, "position": map[string]any{"line": 0, "character": 0}}, nil)
	if err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("hover: got %v, want an internal error", err)
	}
	c.server.panicOn = "textDocument/didChange"
	c.change(u, smallProject+"\n")
	c.server.panicOn = ""
	// Still serving.
	var syms []any
	c.call("textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": u}}, &syms)
	v := c.change(u, smallProject)
	c.waitDiags(u, v)
}

func TestRapidChanges(t *testing.T) {
	c := newTestClient(t, map[string]string{"project.yaml": smallProject, "analysis/dataset_definition.py": ""}, clientOptions{})
	u := c.open("project.yaml", smallProject)
	// 1,000 incremental edits: type " x" at the end of the first line, then the needs list
	// grows by an unknown action.
	text := smallProject
	lines := analysis.NewLines([]byte(text))
	var v int32 = 1
	for i := 0; i < 1000; i++ {
		line := 9 // "    needs: [generate_dataset]"
		end := lines.End(line) - lines.Start(line) - 1
		ins := fmt.Sprintf(", a%d", i)
		v++
		c.notify("textDocument/didChange", map[string]any{
			"textDocument": map[string]any{"uri": u, "version": v},
			"contentChanges": []any{map[string]any{
				"range": map[string]any{"start": map[string]any{"line": line, "character": end}, "end": map[string]any{"line": line, "character": end}},
				"text":  ins,
			}},
		})
		off := lines.Start(line) + end
		text = text[:off] + ins + text[off:]
		lines = analysis.NewLines([]byte(text))
	}
	got := c.waitDiags(u, v)
	want := analysis.CheckProject(analysis.NewFSSnapshot(os.DirFS(c.root)), "project.yaml", []byte(text))
	if len(got) != len(want) {
		t.Fatalf("final diagnostics: got %d, want %d", len(got), len(want))
	}
	for i := range want {
		if codeOf(got[i]) != want[i].Code || got[i].Range != rangeOf(lines, want[i].Range) {
			t.Fatalf("diagnostic %d: got %s %v, want %s %v", i, codeOf(got[i]), got[i].Range, want[i].Code, rangeOf(lines, want[i].Range))
		}
	}
	if n := slices.Index(codesOf(got), "PY061"); n < 0 {
		t.Fatalf("the unknown needs are not reported: %v", codesOf(got))
	}
}

func TestHugeFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: '5.0'\nactions:\n")
	for i := 0; b.Len() < 5<<20; i++ {
		fmt.Fprintf(&b, "  action_%d:\n    run: python:v2 python analysis/a.py --n %d # ünïcödé 😀\n    outputs:\n      moderately_sensitive:\n        t: output/t_%d.csv\n", i, i, i)
	}
	text := b.String()
	c := newTestClient(t, map[string]string{"analysis/a.py": ""}, clientOptions{})
	u := c.open("project.yaml", text)
	c.waitDiags(u, 1)
	var syms []map[string]any
	c.call("textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": u}}, &syms)
	if len(syms) != 2 {
		t.Fatalf("symbols: %d", len(syms))
	}
}
