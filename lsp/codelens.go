package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/opensafely-core/osls/analysis"
)

// CodeLens implements protocol.Server: "Run" and "Run with needs" above every action.
func (s *Server) CodeLens(ctx context.Context, p *protocol.CodeLensParams) ([]protocol.CodeLens, error) {
	d, err := s.doc(ctx, p.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	if d.kind == kindPython {
		return s.generateLenses(d, s.docsOf(ctx))
	}
	if d.kind != kindProject {
		return []protocol.CodeLens{}, nil
	}
	l := d.Lines()
	out := []protocol.CodeLens{}
	for _, lens := range analysis.CodeLenses(d.Project()) {
		title, cmd := "▶ Run", CommandRunAction
		if lens.WithNeeds {
			title, cmd = "Run with needs", CommandRunActionWithNeeds
		}
		args, err := commandArgs(d.uri, lens.Action)
		if err != nil {
			return nil, err
		}
		out = append(out, protocol.CodeLens{
			Range:   rangeOf(l, lens.Range),
			Command: protocol.Command{Title: title, Command: cmd, Arguments: args},
		})
	}
	return out, nil
}

// commandArgs encodes the arguments of the run commands: the project file's URI and the
// action id.
func commandArgs(u, action string) ([]protocol.LSPAny, error) {
	a, err := json.Marshal(u)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(action)
	if err != nil {
		return nil, err
	}
	return []protocol.LSPAny{a, b}, nil
}

// ExecuteCommand implements protocol.Server for the run commands (see run.go) and the
// codelist import (see codelists.go).
func (s *Server) ExecuteCommand(ctx context.Context, p *protocol.ExecuteCommandParams) (protocol.LSPAny, error) {
	if p.Command == CommandImportCodelist {
		return s.importCodelist(ctx, p)
	}
	if p.Command == CommandGenerateDummyData {
		return s.generateDummyData(ctx, p)
	}
	if p.Command != CommandRunAction && p.Command != CommandRunActionWithNeeds {
		return nil, fmt.Errorf("unknown command %q", p.Command)
	}
	var docURI, action string
	if len(p.Arguments) < 2 || json.Unmarshal(p.Arguments[0], &docURI) != nil || json.Unmarshal(p.Arguments[1], &action) != nil || action == "" {
		return nil, fmt.Errorf("%s takes two arguments: the project.yaml URI and an action name", p.Command)
	}
	req := RunRequest{Action: action, WithNeeds: p.Command == CommandRunActionWithNeeds}
	if u, err := uri.Parse(docURI); err == nil && u.Scheme() == "file" {
		req.Root = filepath.Dir(filepath.Clean(u.FsPath()))
	}
	if s.opts.RunAction == nil {
		return s.runAction(ctx, p, docURI, req)
	}
	summary, err := s.opts.RunAction(ctx, req)
	if err != nil {
		s.showToClient(protocol.MessageTypeError, fmt.Sprintf("Running %s failed: %v", action, err))
		return nil, err
	}
	s.showToClient(protocol.MessageTypeInfo, summary)
	return json.Marshal(map[string]any{"ran": true, "message": summary})
}
