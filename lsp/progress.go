package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"

	"go.lsp.dev/protocol"
)

// Work done progress ($/progress) for long commands: downloading codelists and running
// actions. A command reports on the token its request carried (workDoneToken) or, when the
// client supports it, on a token the server creates with window/workDoneProgress/create.
// Clients that support neither see no progress; the command still runs.

// progress reports one long operation. The zero value reports nothing.
type progress struct {
	s     *Server
	token protocol.ProgressToken
	key   string // the token as text, for window/workDoneProgress/cancel
}

var progressSeq atomic.Int64

// cancellers maps progress tokens to the cancel functions of their operations.
type cancellers struct {
	mu sync.Mutex
	m  map[string]context.CancelFunc
}

func tokenKey(t protocol.ProgressToken) string {
	switch v := t.(type) {
	case protocol.String:
		return "s:" + string(v)
	case protocol.Integer:
		return fmt.Sprintf("i:%d", v)
	}
	return ""
}

// beginProgress starts reporting on given (the request's token, or nil). When cancel is not
// nil, the client may cancel the operation through window/workDoneProgress/cancel.
func (s *Server) beginProgress(ctx context.Context, given protocol.ProgressToken, title string, cancel context.CancelFunc) *progress {
	token := given
	if token == nil {
		s.mu.Lock()
		ok := s.caps.workDoneProgress
		s.mu.Unlock()
		if !ok || s.client == nil {
			return &progress{}
		}
		token = protocol.String(fmt.Sprintf("osls-%d", progressSeq.Add(1)))
		if err := s.client.WorkDoneProgressCreate(ctx, &protocol.WorkDoneProgressCreateParams{Token: token}); err != nil {
			s.log.Printf("creating a progress token: %v", err)
			return &progress{}
		}
	}
	p := &progress{s: s, token: token, key: tokenKey(token)}
	if cancel != nil && p.key != "" {
		s.cancels.mu.Lock()
		if s.cancels.m == nil {
			s.cancels.m = map[string]context.CancelFunc{}
		}
		s.cancels.m[p.key] = cancel
		s.cancels.mu.Unlock()
	}
	p.send(protocol.WorkDoneProgressBegin{Kind: "begin", Title: title, Cancellable: ptr(cancel != nil), Percentage: ptr(uint32(0))})
	return p
}

func (p *progress) send(v any) {
	if p == nil || p.s == nil {
		return
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return
	}
	if err := p.s.client.Progress(context.Background(), &protocol.ProgressParams{Token: p.token, Value: raw}); err != nil {
		p.s.log.Printf("sending progress: %v", err)
	}
}

// report sends a message, with a percentage when pct >= 0.
func (p *progress) report(msg string, pct int) {
	r := protocol.WorkDoneProgressReport{Kind: "report", Message: ptr(msg)}
	if pct >= 0 {
		r.Percentage = ptr(uint32(min(pct, 100)))
	}
	p.send(r)
}

// end finishes the report with a last message.
func (p *progress) end(msg string) {
	if p == nil || p.s == nil {
		return
	}
	p.send(protocol.WorkDoneProgressEnd{Kind: "end", Message: ptr(msg)})
	if p.key != "" {
		p.s.cancels.mu.Lock()
		delete(p.s.cancels.m, p.key)
		p.s.cancels.mu.Unlock()
	}
}

// WorkDoneProgressCancel implements protocol.Server: the user cancelled a long command.
func (s *Server) WorkDoneProgressCancel(ctx context.Context, p *protocol.WorkDoneProgressCancelParams) error {
	s.cancels.mu.Lock()
	cancel := s.cancels.m[tokenKey(p.Token)]
	s.cancels.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return nil
}
