package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/opensafely-core/osls/analysis"
	"github.com/opensafely-core/osls/dummy"
)

// Generating dummy data from the editor. A dataset definition gets a "Generate dummy data"
// code lens (on its `dataset = create_dataset()` line, else the first line) and the same
// code action (kind source). Both call workspace/executeCommand osls.generateDummyData with
// the definition's URI. When an ehrQL generate-dataset action of project.yaml runs the
// definition, that action is run with the built-in runner (no needs), so the data goes to
// the output the action declares, with the run's progress, log and diagnostics (run.go).
// Otherwise the definition is run with dummy.GenerateDataset into output/<name>.csv. Either
// way the result is reported with window/showMessage, and $/progress shows the work (the
// client may cancel it).

// CommandGenerateDummyData generates dummy data for a dataset definition.
const CommandGenerateDummyData = "osls.generateDummyData"

var createDatasetLine = regexp.MustCompile(`(?m)^[ \t]*dataset[ \t]*=[ \t]*create_dataset\(`)

// isDatasetDefinition reports whether a Python buffer defines a dataset: one of the
// analyses covering it has it as entry and found a dataset.
func (s *Server) isDatasetDefinition(d *document, ds docSet) bool {
	if d.kind != kindPython || d.path == "" {
		return false
	}
	if !bytes.Contains(d.text, []byte("create_dataset")) {
		return false
	}
	for _, a := range s.analysesFor(d, ds, s.snapshotFor(d, ds)) {
		if a != nil && a.Entry == d.rel && a.Dataset != nil {
			return true
		}
	}
	return false
}

// generateLensRange is where the lens goes: the create_dataset() line, else the top.
func generateLensRange(d *document) analysis.Range {
	if loc := createDatasetLine.FindIndex(d.text); loc != nil {
		start := loc[0]
		for start < len(d.text) && (d.text[start] == ' ' || d.text[start] == '\t') {
			start++
		}
		return analysis.Range{Start: start, End: start}
	}
	return analysis.Range{}
}

func generateCommand(u string) (protocol.Command, error) {
	a, err := json.Marshal(u)
	if err != nil {
		return protocol.Command{}, err
	}
	return protocol.Command{Title: "▶ Generate dummy data", Command: CommandGenerateDummyData, Arguments: []protocol.LSPAny{a}}, nil
}

// generateLenses returns the lens of a dataset definition (none for other files).
func (s *Server) generateLenses(d *document, ds docSet) ([]protocol.CodeLens, error) {
	if !s.isDatasetDefinition(d, ds) {
		return []protocol.CodeLens{}, nil
	}
	cmd, err := generateCommand(d.uri)
	if err != nil {
		return nil, err
	}
	return []protocol.CodeLens{{Range: rangeOf(d.Lines(), generateLensRange(d)), Command: cmd}}, nil
}

// generateActions returns the "Generate dummy data" code action of a dataset definition.
func (s *Server) generateActions(d *document, ds docSet, only []protocol.CodeActionKind) []protocol.CommandOrCodeAction {
	if !wantsKind(only, protocol.CodeActionKindSource) || !s.isDatasetDefinition(d, ds) {
		return nil
	}
	cmd, err := generateCommand(d.uri)
	if err != nil {
		return nil
	}
	cmd.Title = "Generate dummy data"
	return []protocol.CommandOrCodeAction{&protocol.CodeAction{Title: cmd.Title, Kind: ptr(protocol.CodeActionKindSource), Command: cmd}}
}

func wantsKind(only []protocol.CodeActionKind, kind protocol.CodeActionKind) bool {
	if len(only) == 0 {
		return true
	}
	for _, k := range only {
		if k == kind || strings.HasPrefix(string(kind), string(k)+".") {
			return true
		}
	}
	return false
}

// generateDummyData runs CommandGenerateDummyData.
func (s *Server) generateDummyData(ctx context.Context, p *protocol.ExecuteCommandParams) (protocol.LSPAny, error) {
	var docURI string
	if len(p.Arguments) < 1 || json.Unmarshal(p.Arguments[0], &docURI) != nil {
		return nil, fmt.Errorf("%s takes one argument: the dataset definition's URI", p.Command)
	}
	u, err := uri.Parse(docURI)
	if err != nil || u.Scheme() != "file" {
		return nil, fmt.Errorf("%s: %s is not a file on disk", p.Command, docURI)
	}
	d := s.docsOf(ctx)[docURI]
	if d == nil {
		d = newDocument(docURI, 0, nil, s.workspaceRoots())
	}
	if d.root == "" || d.rel == "" {
		return nil, fmt.Errorf("%s: %s is not in a study folder", p.Command, docURI)
	}
	ds := s.docsOf(ctx)
	if proj := s.projectOf(d.root, ds); proj != nil {
		for _, e := range analysis.EhrQLEntries(proj) {
			if e.File != d.rel || e.Action == nil || (e.Command != "generate-dataset" && e.Command != "generate_dataset") {
				continue
			}
			projURI := string(fileURI(filepath.Join(d.root, analysis.ProjectFile)))
			return s.runAction(ctx, p, projURI, RunRequest{Root: d.root, Action: e.Action.ID})
		}
	}
	return s.generateDirect(ctx, p, d)
}

// generateDirect runs a definition that no action runs into output/<name>.csv.
func (s *Server) generateDirect(ctx context.Context, p *protocol.ExecuteCommandParams, d *document) (protocol.LSPAny, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := "output/" + strings.TrimSuffix(path.Base(d.rel), ".py") + ".csv"
	pr := s.beginProgress(ctx, p.WorkDoneToken, "Generating dummy data for "+d.rel, cancel)
	pr.report("writing "+out, -1)
	var log bytes.Buffer
	o := dummy.Options{Definition: d.rel, WorkDir: d.root, Output: out, Log: &log, Stdout: &log}
	err := dummy.GenerateDataset(ctx, o)
	logText := strings.TrimSpace(log.String())
	if logText != "" {
		s.logToClient(protocol.MessageTypeLog, logText)
	}
	if err != nil {
		msg := fmt.Sprintf("Generating dummy data for %s failed: %v", d.rel, err)
		if ctx.Err() != nil {
			msg = "Generating dummy data for " + d.rel + " was cancelled"
		}
		pr.end(msg)
		s.showToClient(protocol.MessageTypeError, msg)
		return json.Marshal(map[string]any{"ran": true, "ok": false, "message": msg, "cancelled": ctx.Err() != nil})
	}
	msg := fmt.Sprintf("Wrote dummy data for %s to %s", d.rel, out)
	for _, line := range strings.Split(logText, "\n") {
		if strings.HasPrefix(line, "osls: generated ") {
			msg += " (" + strings.TrimPrefix(line, "osls: ") + ")"
		}
		if strings.HasPrefix(line, "osls: warning: ") {
			msg += "; " + strings.TrimPrefix(line, "osls: warning: ")
		}
	}
	pr.end(msg)
	s.showToClient(protocol.MessageTypeInfo, msg)
	s.invalidateDisk(d.root)
	if _, err := os.Stat(fsPath(d.root, out)); err == nil {
		s.refreshOutputs(d.root)
	}
	return json.Marshal(map[string]any{"ran": true, "ok": true, "message": msg, "output": out})
}
