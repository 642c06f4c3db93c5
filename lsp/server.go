// Package lsp is osls's language server: the only package that speaks the Language Server
// Protocol (through go.lsp.dev). It owns the document store, the conversion between byte
// offsets and UTF-16 positions, request cancellation, panic recovery and message ordering,
// and hands every question to the analysis package.
//
// Ordering: notifications (didOpen, didChange, ...) run one at a time on the connection's
// read loop, in the order they arrive, and only update state. Requests are released to run
// concurrently once the document set they see has been captured, so a slow request never
// holds up typing, and a request always answers about the text that was current when it
// arrived. Diagnostics are computed by one background worker that always checks the latest
// version of a document and publishes it with that version (see diagnostics.go).
//
// One file per LSP area: server.go (lifecycle, dispatch), documents.go, diagnostics.go,
// completion.go, hover.go, definition.go, symbols.go, codeaction.go, codelens.go,
// positions.go.
package lsp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/opensafely-core/osls/analysis"
	"github.com/opensafely-core/osls/analysis/outputs"
	"github.com/opensafely-core/osls/opencodelists"
)

// Commands the server executes (workspace/executeCommand); code lenses use them and editors
// may bind them to keys.
const (
	CommandRunAction          = "osls.runAction"
	CommandRunActionWithNeeds = "osls.runActionWithNeeds"
)

// RunRequest asks for one action of a study to be run.
type RunRequest struct {
	Root      string // the study folder
	Action    string // the action id
	WithNeeds bool   // also run the actions it needs, first
}

// Options configures a Server.
type Options struct {
	// Logger receives the server's log (stderr in `osls serve`). Nil discards it.
	Logger *log.Logger
	// Version is reported to the client in serverInfo.
	Version string
	// RunAction runs an action for the "Run" code lenses and commands, returning a summary
	// to show. Nil means the built-in runner (runner.Run, with progress and log streaming).
	RunAction func(ctx context.Context, req RunRequest) (string, error)
	// CodelistCache keeps OpenCodelists listings for completion; nil means the user's cache
	// folder (opencodelists.DefaultCache).
	CodelistCache *opencodelists.Cache
}

// Server is an osls language server bound to one connection.
type Server struct {
	protocol.UnimplementedServer

	opts   Options
	log    *log.Logger
	conn   jsonrpc2.Conn
	client protocol.Client
	docs   *store
	diag   *diagnoser

	mu           sync.Mutex
	roots        []string                        // workspace folders
	disk         map[string]*analysis.FSSnapshot // study folder -> cached listing
	gens         map[string]int                  // study folder -> times its listing was dropped
	diskProjects map[string]*diskProject         // study folder -> project.yaml read from disk
	caps         clientCaps

	defs        defCache     // analyses of dataset definitions
	runs        runState     // actions running, and the problems of their last runs
	outs        outputChecks // disclosure-control checks of output files
	cancels     cancellers   // progress tokens of cancellable commands
	oclURL      string       // OpenCodelists server from the client's settings
	oclFromInit bool         // oclURL came from initializationOptions (settings do not override it)

	// panicOn makes the handler of a method panic (tests of the recovery).
	panicOn string

	shutdown atomic.Bool
	exited   chan struct{}
	exitOnce sync.Once
}

// clientCaps are the client capabilities the server adapts to.
type clientCaps struct {
	snippets         bool // completion items may be snippets
	markdown         bool // hover and completion docs may be markdown
	watchFiles       bool // workspace/didChangeWatchedFiles can be registered dynamically
	codeActionLits   bool // code actions may be CodeAction literals (not just Commands)
	relatedInfo      bool
	insertReplace    bool
	labelDetails     bool
	showMessage      bool
	versionedDiags   bool
	workspaceFolder  bool
	workDoneProgress bool // window/workDoneProgress/create and $/progress
}

// requestDocs carries the documents a request was received with.
type requestDocs struct{}

// closeWait bounds how long Run waits for the connection to wind down after exit.
const closeWait = 200 * time.Millisecond

// Serve runs a language server over in and out (stdin and stdout for `osls serve`) until the
// client sends exit or closes the stream. It returns nil after a clean shutdown.
func Serve(ctx context.Context, in io.ReadCloser, out io.WriteCloser, opts Options) error {
	s := NewServer(opts)
	return s.Run(ctx, newResilientStream(in, out, s.log))
}

// NewServer returns an unconnected server; call Run.
func NewServer(opts Options) *Server {
	lg := opts.Logger
	if lg == nil {
		lg = log.New(io.Discard, "", 0)
	}
	s := &Server{
		opts:         opts,
		log:          lg,
		docs:         newStore(),
		disk:         map[string]*analysis.FSSnapshot{},
		gens:         map[string]int{},
		diskProjects: map[string]*diskProject{},
		exited:       make(chan struct{}),
	}
	s.diag = newDiagnoser(s)
	s.outs.init()
	return s
}

// Run serves the connection over stream until exit or end of stream.
func (s *Server) Run(ctx context.Context, stream jsonrpc2.Stream) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.conn = jsonrpc2.NewConn(stream, jsonrpc2.WithCodec(codec{}))
	s.client = protocol.ClientDispatcher(s.conn)
	go s.diag.run(ctx)
	go s.runOutputs(ctx)
	s.conn.Go(ctx, s.handler())
	select {
	case <-s.exited:
	case <-s.conn.Done():
	case <-ctx.Done():
	}
	cancel()
	closed := make(chan struct{})
	go func() { _ = s.conn.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(closeWait):
		// A read blocked on stdin cannot be interrupted; the process is about to exit anyway.
	}
	if err := s.conn.Err(); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, context.Canceled) && !s.shutdown.Load() {
		return err
	}
	select {
	case <-s.exited:
		if !s.shutdown.Load() {
			return errors.New("exit without shutdown")
		}
	default:
	}
	return nil
}

// handler builds the dispatch chain: cancellation, then ordering and panic recovery, then
// the typed LSP dispatcher.
func (s *Server) handler() jsonrpc2.Handler {
	typed := protocol.ServerHandler(s, jsonrpc2.MethodNotFoundHandler)
	return protocol.CancelHandler(s.guard(typed))
}

// guard runs notifications inline (so they are handled in order) and swallows their errors
// (an error from a notification would end the connection); it captures the document set and
// releases requests to run concurrently; and it turns a panic into a logged internal error.
func (s *Server) guard(next jsonrpc2.Handler) jsonrpc2.Handler {
	return func(ctx context.Context, req *jsonrpc2.Request) (result any, err error) {
		method := req.Method()
		call := req.IsCall()
		if call {
			ctx = context.WithValue(ctx, requestDocs{}, s.docs.snapshot())
			jsonrpc2.Async(ctx)
			method = req.Method() // cloned by Async
		}
		defer func() {
			if r := recover(); r != nil {
				s.log.Printf("panic in %s: %v\n%s", method, r, debug.Stack())
				s.logToClient(protocol.MessageTypeError, fmt.Sprintf("osls: internal error in %s: %v (see the server log)", method, r))
				result = nil
				if call {
					err = jsonrpc2.Errorf(jsonrpc2.InternalError, "internal error in %s: %v", method, r)
				} else {
					err = nil
				}
			}
		}()
		if s.panicOn != "" && method == s.panicOn {
			panic("test panic in " + method)
		}
		result, err = next(ctx, req)
		if !call && err != nil {
			s.log.Printf("%s: %v", method, err)
			return nil, nil
		}
		if call && err != nil && !errors.Is(err, jsonrpc2.ErrMethodNotFound) && !errors.Is(err, protocol.ErrRequestCancelled) {
			s.log.Printf("%s: %v", method, err)
		}
		return result, err
	}
}

// docsOf returns the documents a request was received with (or the current ones).
func (s *Server) docsOf(ctx context.Context) docSet {
	if ds, ok := ctx.Value(requestDocs{}).(docSet); ok {
		return ds
	}
	return s.docs.snapshot()
}

// doc returns the open document a request names, at the version the request saw.
func (s *Server) doc(ctx context.Context, u uri.URI) (*document, error) {
	if d := s.docsOf(ctx)[string(u)]; d != nil {
		return d, nil
	}
	return nil, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "%s is not open", u)
}

// logToClient sends a window/logMessage, best effort.
func (s *Server) logToClient(t protocol.MessageType, msg string) {
	if s.client == nil {
		return
	}
	_ = s.client.LogMessage(context.Background(), &protocol.LogMessageParams{Type: t, Message: msg})
}

// showToClient sends a window/showMessage, best effort.
func (s *Server) showToClient(t protocol.MessageType, msg string) {
	if s.client == nil {
		return
	}
	_ = s.client.ShowMessage(context.Background(), &protocol.ShowMessageParams{Type: t, Message: msg})
}

func ptr[T any](v T) *T { return &v }

func isTrue(b *bool) bool { return b != nil && *b }

// Initialize implements protocol.Server.
func (s *Server) Initialize(ctx context.Context, p *protocol.InitializeParams) (*protocol.InitializeResult, error) {
	s.mu.Lock()
	if folders, ok := p.WorkspaceFolders.Get(); ok {
		for _, f := range folders {
			if u, err := uri.Parse(string(f.URI)); err == nil && u.Scheme() == "file" {
				s.roots = append(s.roots, filepath.Clean(u.FsPath()))
			}
		}
	}
	if len(s.roots) == 0 && p.RootURI != nil {
		if u, err := uri.Parse(string(*p.RootURI)); err == nil && u.Scheme() == "file" {
			s.roots = append(s.roots, filepath.Clean(u.FsPath()))
		}
	}
	s.caps = readCaps(&p.Capabilities)
	if u := readOCLSetting(p.InitializationOptions); u != "" {
		s.oclURL, s.oclFromInit = u, true
	}
	caps := s.caps
	s.mu.Unlock()

	sync := &protocol.TextDocumentSyncOptions{
		OpenClose: ptr(true),
		Change:    ptr(protocol.TextDocumentSyncKindIncremental),
		Save:      &protocol.SaveOptions{IncludeText: ptr(false)},
	}
	var codeAction protocol.CodeActionProvider = protocol.Boolean(true)
	if caps.codeActionLits {
		codeAction = &protocol.CodeActionOptions{CodeActionKinds: []protocol.CodeActionKind{protocol.CodeActionKindQuickFix, protocol.CodeActionKindSource}}
	}
	res := &protocol.InitializeResult{
		Capabilities: protocol.ServerCapabilities{
			TextDocumentSync: sync,
			CompletionProvider: &protocol.CompletionOptions{
				TriggerCharacters: []string{":", " ", "/", "-", "[", ",", ".", "\"", "'", "("},
			},
			SignatureHelpProvider: &protocol.SignatureHelpOptions{
				TriggerCharacters:   []string{"(", ","},
				RetriggerCharacters: []string{"="},
			},
			HoverProvider:          protocol.Boolean(true),
			DefinitionProvider:     protocol.Boolean(true),
			ReferencesProvider:     protocol.Boolean(true),
			DocumentSymbolProvider: protocol.Boolean(true),
			CodeActionProvider:     codeAction,
			CodeLensProvider:       &protocol.CodeLensOptions{},
			ExecuteCommandProvider: protocol.ExecuteCommandOptions{Commands: []string{CommandRunAction, CommandRunActionWithNeeds, CommandImportCodelist, CommandGenerateDummyData}},
		},
		ServerInfo: protocol.ServerInfo{Name: "osls", Version: protocol.NewOptional(s.opts.Version)},
	}
	return res, nil
}

func readCaps(c *protocol.ClientCapabilities) clientCaps {
	var caps clientCaps
	if td := c.TextDocument; td != nil {
		if comp := td.Completion; comp != nil && comp.CompletionItem != nil {
			caps.snippets = isTrue(comp.CompletionItem.SnippetSupport)
			caps.insertReplace = isTrue(comp.CompletionItem.InsertReplaceSupport)
			caps.labelDetails = isTrue(comp.CompletionItem.LabelDetailsSupport)
			for _, k := range comp.CompletionItem.DocumentationFormat {
				if k == protocol.MarkupKindMarkdown {
					caps.markdown = true
				}
			}
		}
		if h := td.Hover; h != nil {
			for _, k := range h.ContentFormat {
				if k == protocol.MarkupKindMarkdown {
					caps.markdown = true
				}
			}
		}
		if ca := td.CodeAction; ca != nil && len(ca.CodeActionLiteralSupport.CodeActionKind.ValueSet) > 0 {
			caps.codeActionLits = true
		}
		if pd := td.PublishDiagnostics; pd != nil {
			caps.relatedInfo = isTrue(pd.RelatedInformation)
			caps.versionedDiags = isTrue(pd.VersionSupport)
		}
	}
	if ws := c.Workspace; ws != nil {
		if w := ws.DidChangeWatchedFiles; w != nil {
			caps.watchFiles = isTrue(w.DynamicRegistration)
		}
		caps.workspaceFolder = isTrue(ws.WorkspaceFolders)
	}
	caps.showMessage = c.Window != nil
	caps.workDoneProgress = c.Window != nil && isTrue(c.Window.WorkDoneProgress)
	return caps
}

// Initialized implements protocol.Server. It asks the client to report file changes in the
// study, so that "file not found" clears as soon as a script appears.
func (s *Server) Initialized(ctx context.Context, _ *protocol.InitializedParams) error {
	s.mu.Lock()
	watch := s.caps.watchFiles
	s.mu.Unlock()
	if !watch {
		return nil
	}
	opts := protocol.DidChangeWatchedFilesRegistrationOptions{Watchers: []protocol.FileSystemWatcher{
		{GlobPattern: protocol.Pattern("**/*")},
	}}
	raw, err := protocol.Marshal(opts)
	if err != nil {
		return err
	}
	// A server-to-client call must not run on the read loop: its answer is read there.
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := s.client.RegisterCapability(ctx, &protocol.RegistrationParams{Registrations: []protocol.Registration{{
			ID:              "osls-watch-files",
			Method:          protocol.MethodWorkspaceDidChangeWatchedFiles,
			RegisterOptions: raw,
		}}})
		if err != nil {
			s.log.Printf("registering for file changes: %v", err)
		}
	}()
	return nil
}

// Shutdown implements protocol.Server.
func (s *Server) Shutdown(context.Context) error {
	s.shutdown.Store(true)
	return nil
}

// Exit implements protocol.Server.
func (s *Server) Exit(context.Context) error {
	s.exitOnce.Do(func() { close(s.exited) })
	return nil
}

// DidOpen implements protocol.Server.
func (s *Server) DidOpen(ctx context.Context, p *protocol.DidOpenTextDocumentParams) error {
	d := newDocument(string(p.TextDocument.URI), p.TextDocument.Version, []byte(p.TextDocument.Text), s.workspaceRoots())
	s.docs.put(d)
	if d.kind != kindProject {
		s.invalidateDisk(d.root) // another buffer of the study: files may have appeared
	}
	s.diag.touch(d)
	if d.kind == kindProject {
		s.refreshOutputs(d.root)
	} else {
		s.checkOutputDoc(d)
	}
	return nil
}

// DidChange implements protocol.Server.
func (s *Server) DidChange(ctx context.Context, p *protocol.DidChangeTextDocumentParams) error {
	u := string(p.TextDocument.URI)
	old := s.docs.get(u)
	if old == nil {
		return fmt.Errorf("didChange for %s, which is not open", u)
	}
	text, err := applyChanges(old.text, p.ContentChanges)
	if err != nil {
		return fmt.Errorf("didChange for %s: %w", u, err)
	}
	d := &document{uri: old.uri, path: old.path, root: old.root, rel: old.rel, kind: old.kind, version: p.TextDocument.Version, text: text}
	s.docs.put(d)
	s.diag.touch(d)
	s.checkOutputDoc(d)
	return nil
}

// DidSave implements protocol.Server.
func (s *Server) DidSave(ctx context.Context, p *protocol.DidSaveTextDocumentParams) error {
	if d := s.docs.get(string(p.TextDocument.URI)); d != nil {
		s.invalidateDisk(d.root)
		s.diag.touchStudy(d.root)
		s.refreshOutputs(d.root)
	}
	return nil
}

// DidClose implements protocol.Server.
func (s *Server) DidClose(ctx context.Context, p *protocol.DidCloseTextDocumentParams) error {
	u := string(p.TextDocument.URI)
	d := s.docs.get(u)
	s.closeOutputDoc(u, func() {
		s.docs.remove(u)
		s.diag.close(u)
	})
	if d != nil {
		s.diag.touchStudy(d.root)
		if slices.Contains(outputs.ConfigFileNames, d.rel) {
			s.refreshOutputs(d.root) // the settings on disk apply again
		}
	}
	return nil
}

// DidChangeWatchedFiles implements protocol.Server: files of a study appeared, changed or
// disappeared, so its cached listing is dropped, its open project files checked again and its
// outputs re-checked for disclosure control (only the files that changed are read).
func (s *Server) DidChangeWatchedFiles(ctx context.Context, p *protocol.DidChangeWatchedFilesParams) error {
	studies := map[string]bool{}
	for _, ch := range p.Changes {
		u, err := uri.Parse(string(ch.URI))
		if err != nil || u.Scheme() != "file" {
			continue
		}
		path := filepath.Clean(u.FsPath())
		for _, d := range s.docs.snapshot() {
			if d.root != "" && isUnder(path, d.root) {
				studies[d.root] = true
			}
		}
	}
	for root := range studies {
		s.invalidateDisk(root)
		s.diag.touchStudy(root)
		s.refreshOutputs(root)
	}
	return nil
}

// DidChangeWorkspaceFolders implements protocol.Server.
func (s *Server) DidChangeWorkspaceFolders(ctx context.Context, p *protocol.DidChangeWorkspaceFoldersParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range p.Event.Removed {
		if u, err := uri.Parse(string(f.URI)); err == nil {
			path := filepath.Clean(u.FsPath())
			for i, r := range s.roots {
				if r == path {
					s.roots = append(s.roots[:i], s.roots[i+1:]...)
					break
				}
			}
		}
	}
	for _, f := range p.Event.Added {
		if u, err := uri.Parse(string(f.URI)); err == nil && u.Scheme() == "file" {
			s.roots = append(s.roots, filepath.Clean(u.FsPath()))
		}
	}
	return nil
}

func isUnder(path, root string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !filepath.IsAbs(rel) && (len(rel) < 3 || rel[:3] != "../")
}

func (s *Server) workspaceRoots() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.roots...)
}

// diskSnapshot returns the cached view of a study's files on disk.
func (s *Server) diskSnapshot(root string) analysis.Snapshot {
	if root == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	snap, ok := s.disk[root]
	if !ok {
		snap = analysis.NewFSSnapshot(os.DirFS(root))
		s.disk[root] = snap
	}
	return snap
}

// invalidateDisk forgets the cached listing of a study.
func (s *Server) invalidateDisk(root string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.disk, root)
	s.gens[root]++
}

// diskGen counts how often a study's files were seen to change on disk.
func (s *Server) diskGen(root string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gens[root]
}

// fsPath joins a study folder and a study-relative path.
func fsPath(root, rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }

// fileURI returns the file: URI of a path.
func fileURI(p string) uri.URI { return uri.File(p) }

// protocolURI passes a URI on exactly as the client sent it.
func protocolURI(u string) uri.URI { return uri.URI(u) }

// snapshotFor is the view of a study that analysis sees: the disk overlaid by open buffers.
func (s *Server) snapshotFor(d *document, ds docSet) analysis.Snapshot {
	return &analysis.Overlay{Base: s.diskSnapshot(d.root), Buffers: ds.buffersUnder(d.root)}
}

// Request implements protocol.Server for methods outside the standard set.
func (s *Server) Request(ctx context.Context, method string, params any) (any, error) {
	return nil, jsonrpc2.Errorf(jsonrpc2.MethodNotFound, "method not found: %s", method)
}

// codec marshals LSP payloads with the protocol package's union-aware encoder, passing raw
// messages through untouched.
type codec struct{}

func (codec) Marshal(v any) ([]byte, error) {
	switch m := v.(type) {
	case jsonrpc2.RawMessage:
		if m == nil {
			return []byte("null"), nil
		}
		return m, nil
	case *jsonrpc2.RawMessage:
		if m == nil || *m == nil {
			return []byte("null"), nil
		}
		return *m, nil
	}
	return protocol.Marshal(v)
}

func (codec) Unmarshal(data []byte, v any) error {
	if p, ok := v.(*jsonrpc2.RawMessage); ok {
		*p = append(jsonrpc2.RawMessage(nil), data...)
		return nil
	}
	return protocol.Unmarshal(data, v)
}
