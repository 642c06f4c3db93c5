package lsp

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

// testClient is an LSP client connected to an in-process server over a pipe. It records
// what the server pushes (diagnostics, messages) and answers the server's requests.
type testClient struct {
	t      testing.TB
	root   string
	conn   jsonrpc2.Conn
	server *Server
	done   chan error

	mu       sync.Mutex
	cond     *sync.Cond
	diags    map[string]*protocol.PublishDiagnosticsParams
	messages []string
	versions map[string]int32
	progress []map[string]any // values of $/progress, in order
	notes    []string         // other notifications: method and params
}

// clientOptions tunes the capabilities the test client announces.
type clientOptions struct {
	noSnippets bool
	plain      bool // no markdown
	watch      bool // dynamic registration of watched files
	progress   bool // window.workDoneProgress
	logger     *log.Logger
	options    Options        // server options (Logger and Version are filled in)
	initOpts   map[string]any // initializationOptions
}

// newTestClient writes files into a fresh study folder and starts a server for it.
func newTestClient(t testing.TB, files map[string]string, o clientOptions) *testClient {
	t.Helper()
	root := t.TempDir()
	for name, text := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return startTestClient(t, root, o)
}

func startTestClient(t testing.TB, root string, o clientOptions) *testClient {
	t.Helper()
	c := &testClient{
		t:        t,
		root:     root,
		done:     make(chan error, 1),
		diags:    map[string]*protocol.PublishDiagnosticsParams{},
		versions: map[string]int32{},
	}
	c.cond = sync.NewCond(&c.mu)
	serverSide, clientSide := net.Pipe()
	lg := o.logger
	if lg == nil {
		lg = log.New(testWriter{t}, "server: ", 0)
	}
	so := o.options
	so.Logger, so.Version = lg, "test"
	c.server = NewServer(so)
	go func() {
		c.done <- c.server.Run(context.Background(), newResilientStream(serverSide, serverSide, lg))
	}()
	c.conn = jsonrpc2.NewConn(jsonrpc2.NewHeaderStream(clientSide), jsonrpc2.WithCodec(codec{}))
	c.conn.Go(context.Background(), c.handle)

	caps := map[string]any{
		"textDocument": map[string]any{
			"completion": map[string]any{"completionItem": map[string]any{
				"snippetSupport":      !o.noSnippets,
				"documentationFormat": formats(o.plain),
			}},
			"hover":              map[string]any{"contentFormat": formats(o.plain)},
			"codeAction":         map[string]any{"codeActionLiteralSupport": map[string]any{"codeActionKind": map[string]any{"valueSet": []string{"quickfix"}}}},
			"publishDiagnostics": map[string]any{"relatedInformation": true, "versionSupport": true},
		},
		"workspace": map[string]any{"didChangeWatchedFiles": map[string]any{"dynamicRegistration": o.watch}},
		"window":    map[string]any{"workDoneProgress": o.progress},
	}
	var res map[string]any
	init := map[string]any{
		"processId":    nil,
		"rootUri":      string(uri.File(root)),
		"capabilities": caps,
	}
	if o.initOpts != nil {
		init["initializationOptions"] = o.initOpts
	}
	c.call("initialize", init, &res)
	if res["capabilities"] == nil {
		t.Fatalf("initialize returned no capabilities: %v", res)
	}
	c.notify("initialized", map[string]any{})
	t.Cleanup(c.close)
	return c
}

func formats(plain bool) []string {
	if plain {
		return []string{"plaintext"}
	}
	return []string{"markdown", "plaintext"}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// close shuts the server down cleanly and checks that it stopped.
func (c *testClient) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = c.conn.Call(ctx, "shutdown", nil, nil)
	_ = c.conn.Notify(ctx, "exit", nil)
	select {
	case err := <-c.done:
		if err != nil {
			c.t.Errorf("server stopped with %v", err)
		}
	case <-ctx.Done():
		c.t.Errorf("server did not stop after exit")
	}
	_ = c.conn.Close()
}

// handle answers the server's requests and records its notifications.
func (c *testClient) handle(ctx context.Context, req *jsonrpc2.Request) (any, error) {
	switch req.Method() {
	case "textDocument/publishDiagnostics":
		var p protocol.PublishDiagnosticsParams
		if err := protocol.Unmarshal(req.Params(), &p); err != nil {
			c.t.Errorf("bad publishDiagnostics: %v", err)
			return nil, nil
		}
		p, _ = protocol.Clone(p)
		c.mu.Lock()
		c.diags[string(p.URI)] = &p
		c.cond.Broadcast()
		c.mu.Unlock()
	case "window/logMessage", "window/showMessage":
		var p protocol.ShowMessageParams
		_ = protocol.Unmarshal(req.Params(), &p)
		c.mu.Lock()
		c.messages = append(c.messages, p.Message)
		c.cond.Broadcast()
		c.mu.Unlock()
	case "client/registerCapability", "window/workDoneProgress/create":
		return nil, nil
	case "$/progress":
		var p map[string]any
		_ = json.Unmarshal(req.Params(), &p)
		c.mu.Lock()
		if v, ok := p["value"].(map[string]any); ok {
			c.progress = append(c.progress, v)
		}
		c.cond.Broadcast()
		c.mu.Unlock()
	default:
		c.mu.Lock()
		c.notes = append(c.notes, req.Method()+" "+string(req.Params()))
		c.cond.Broadcast()
		c.mu.Unlock()
	}
	if req.IsCall() {
		return nil, nil
	}
	return nil, nil
}

// call sends a request and fails the test on error.
func (c *testClient) call(method string, params, result any) {
	c.t.Helper()
	if err := c.tryCall(method, params, result); err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
}

func (c *testClient) tryCall(method string, params, result any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var raw json.RawMessage
	if _, err := c.conn.Call(ctx, method, params, (*jsonrpc2.RawMessage)(&raw)); err != nil {
		return err
	}
	if result == nil {
		return nil
	}
	if _, ok := result.(*map[string]any); ok {
		return json.Unmarshal(raw, result)
	}
	return protocol.Unmarshal(raw, result)
}

func (c *testClient) notify(method string, params any) {
	c.t.Helper()
	if err := c.conn.Notify(context.Background(), method, params); err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
}

// uriOf returns the URI of a file of the study.
func (c *testClient) uriOf(rel string) string {
	return string(uri.File(filepath.Join(c.root, filepath.FromSlash(rel))))
}

// open sends didOpen with the given text.
func (c *testClient) open(rel, text string) string {
	u := c.uriOf(rel)
	lang := "yaml"
	if strings.HasSuffix(rel, ".py") {
		lang = "python"
	}
	c.mu.Lock()
	c.versions[u] = 1
	c.mu.Unlock()
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": u, "languageId": lang, "version": 1, "text": text,
	}})
	return u
}

// change replaces the whole text of an open document and returns the new version.
func (c *testClient) change(u, text string) int32 {
	c.mu.Lock()
	c.versions[u]++
	v := c.versions[u]
	c.mu.Unlock()
	c.notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": u, "version": v},
		"contentChanges": []any{map[string]any{"text": text}},
	})
	return v
}

// waitDiags waits for diagnostics of a document at (at least) a version.
func (c *testClient) waitDiags(u string, version int32) []protocol.Diagnostic {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if p := c.diags[u]; p != nil {
			if v, ok := p.Version.Get(); ok && v >= version {
				return p.Diagnostics
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("no diagnostics for %s at version %d", u, version)
		}
		waitCond(c.cond, 50*time.Millisecond)
	}
}

// waitCond waits on cond for at most d (cond.L must be held).
func waitCond(cond *sync.Cond, d time.Duration) {
	t := time.AfterFunc(d, cond.Broadcast)
	cond.Wait()
	t.Stop()
}

// codesOf lists the codes of diagnostics, in order.
func codesOf(ds []protocol.Diagnostic) []string {
	var out []string
	for _, d := range ds {
		if s, ok := d.Code.(protocol.String); ok {
			out = append(out, string(s))
		}
	}
	return out
}

var _ io.Writer = testWriter{}
