package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"go.lsp.dev/protocol"

	"github.com/opensafely-core/osls/analysis"
	"github.com/opensafely-core/osls/runner"
)

// Running actions from the editor. The "Run" and "Run with needs" code lenses (and the
// Neovim commands :OslsRun and :OslsRunWithNeeds) call workspace/executeCommand, which runs
// runner.Run: "Run" with NoNeeds, using the outputs the needs already have. While it runs:
//
//   - $/progress: one report for the whole command (on the request's workDoneToken, or a
//     token the server creates), and one begin/end per action that runs;
//   - the log of each job is streamed to the client, line by line, as the notification
//     osls/runLog {uri, action, text} (the Neovim plugin shows it in a buffer) and as
//     window/logMessage;
//   - the run stops on $/cancelRequest of the command or window/workDoneProgress/cancel of
//     any of its progress tokens.
//
// When it finishes, the failures of each action are published as diagnostics of
// project.yaml until the action runs again: an output pattern that matched nothing on that
// output's path (RUN002), any other error or warning about its files (RUN003), and the
// failure of the job itself (RUN001) on the action's id. The disclosure-control findings of
// its outputs are not kept here: the run has the outputs on disk checked again, and they
// show on the output patterns like those of files made by any other means (outputs.go).

// Codes of the diagnostics of a run (listed with every other code in analysis.Codes).
var (
	CodeRunFailed    = analysis.CodeRunFailed.ID
	CodeRunUnmatched = analysis.CodeRunUnmatched.ID
	CodeRunFinding   = analysis.CodeRunFinding.ID
)

// MethodRunLog is the notification that carries the log of a running action.
const MethodRunLog = "osls/runLog"

// runProblem is a failure of the last run of an action, kept until the action runs again.
type runProblem struct {
	action   string
	pattern  string // for CodeRunUnmatched: the output pattern
	code     string
	severity analysis.Severity
	message  string
}

// runState tracks the runs of each study.
type runState struct {
	mu       sync.Mutex
	running  map[string]bool                    // study folder -> a run is going on
	problems map[string]map[string][]runProblem // study folder -> action -> problems
}

// runProblemsOf returns the diagnostics of the last runs of a study, placed in p.
func (s *Server) runProblemsOf(root string, p *analysis.Project) []analysis.Diagnostic {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	var out []analysis.Diagnostic
	for action, probs := range s.runs.problems[root] {
		a := p.ActionByID(action)
		if a == nil || a.Key == nil {
			continue
		}
		for _, pr := range probs {
			r := a.Key.Range
			if pr.pattern != "" {
				for _, o := range a.Outputs {
					if o.Path == pr.pattern && o.Node != nil {
						r = o.Node.Range
					}
				}
			}
			out = append(out, analysis.Diagnostic{File: analysis.ProjectFile, Range: r, Severity: pr.severity, Code: pr.code, Message: pr.message})
		}
	}
	analysis.SortDiagnostics(out)
	return out
}

// problemsOf turns the result of one job into problems.
func problemsOf(j *runner.JobResult) []runProblem {
	var out []runProblem
	for _, f := range j.Findings {
		sev := analysis.SeverityWarning
		switch f.Severity {
		case runner.SeverityError:
			sev = analysis.SeverityError
		case runner.SeverityInfo:
			continue
		}
		if f.Kind == runner.FindingLevel4 || f.Kind == runner.FindingDisclosure {
			continue // shown from the outputs on disk, on the output's pattern (outputs.go)
		}
		msg := f.Message
		if f.Kind == runner.FindingUnmatched {
			if len(f.Suggestions) > 0 && !strings.Contains(msg, f.Suggestions[0]) {
				msg += " (did you mean " + strings.Join(f.Suggestions, ", ") + "?)"
			}
			out = append(out, runProblem{action: j.Action, pattern: f.Pattern, code: CodeRunUnmatched, severity: sev, message: msg})
			continue
		}
		if f.Path != "" && !strings.Contains(msg, f.Path) {
			msg = f.Path + ": " + msg
		}
		out = append(out, runProblem{action: j.Action, code: CodeRunFinding, severity: sev, message: msg})
	}
	if j.Failed() {
		msg := fmt.Sprintf("The last run of %s failed: %s", j.Action, j.Message)
		if j.LogPath != "" {
			msg += " (log: " + j.LogPath + ")"
		}
		out = append(out, runProblem{action: j.Action, code: CodeRunFailed, severity: analysis.SeverityError, message: msg})
	}
	return out
}

// runLog streams a job's output to the client, one notification per line.
type runLog struct {
	s      *Server
	uri    string
	mu     sync.Mutex
	action string
	buf    bytes.Buffer
}

func (w *runLog) setAction(a string) {
	w.mu.Lock()
	w.flushLocked(true)
	w.action = a
	w.mu.Unlock()
}

func (w *runLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.flushLocked(false)
	return len(p), nil
}

func (w *runLog) flush() {
	w.mu.Lock()
	w.flushLocked(true)
	w.mu.Unlock()
}

func (w *runLog) flushLocked(all bool) {
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			if all && line != "" {
				w.send(line)
			} else if line != "" {
				w.buf.Reset()
				w.buf.WriteString(line)
			}
			return
		}
		w.send(strings.TrimRight(line, "\r\n"))
	}
}

func (w *runLog) send(line string) {
	if w.s.client == nil {
		return
	}
	action := w.action
	if action == "" {
		action = "osls" // lines from before any action starts (preparing the run)
	}
	ctx := context.Background()
	_ = w.s.conn.Notify(ctx, MethodRunLog, map[string]any{"uri": w.uri, "action": action, "text": line})
	_ = w.s.client.LogMessage(ctx, &protocol.LogMessageParams{Type: protocol.MessageTypeLog, Message: "[" + action + "] " + line})
}

// status sends a one-line status of an action to the log, so that every client's log shows
// each action's outcome even when the action printed nothing.
func (w *runLog) status(action, line string) {
	w.mu.Lock()
	w.flushLocked(true)
	saved := w.action
	w.action = action
	w.send(line)
	w.action = saved
	w.mu.Unlock()
}

// runAction runs an action with the built-in runner.
func (s *Server) runAction(ctx context.Context, p *protocol.ExecuteCommandParams, docURI string, req RunRequest) (protocol.LSPAny, error) {
	if req.Root == "" {
		return nil, fmt.Errorf("%s: the project file is not on disk", p.Command)
	}
	s.runs.mu.Lock()
	if s.runs.running == nil {
		s.runs.running = map[string]bool{}
	}
	busy := s.runs.running[req.Root]
	s.runs.running[req.Root] = true
	s.runs.mu.Unlock()
	if busy {
		msg := "An action of this study is already running; wait for it to finish, or cancel it."
		s.showToClient(protocol.MessageTypeWarning, msg)
		return json.Marshal(map[string]any{"ran": false, "message": msg})
	}
	defer func() {
		s.runs.mu.Lock()
		delete(s.runs.running, req.Root)
		s.runs.mu.Unlock()
	}()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	title := "Running " + req.Action
	if req.WithNeeds {
		title += " and its needs"
	}
	overall := s.beginProgress(ctx, p.WorkDoneToken, title, cancel)
	logw := &runLog{s: s, uri: docURI}
	perAction := map[string]*progress{}
	started := func(e runner.Event) *progress {
		if pr := perAction[e.Action]; pr != nil {
			return pr
		}
		t := e.Action
		if e.Total > 1 {
			t = fmt.Sprintf("%s (%d/%d)", e.Action, e.Index, e.Total)
		}
		pr := s.beginProgress(ctx, nil, t, cancel)
		perAction[e.Action] = pr
		return pr
	}
	opts := runner.Options{
		Dir:     req.Root,
		Actions: []string{req.Action},
		NoNeeds: !req.WithNeeds,
		Log:     logw,
		Progress: func(e runner.Event) {
			switch e.Kind {
			case runner.EventSkipped:
				overall.report(e.Action+": skipped ("+e.Reason+")", -1)
				logw.status(e.Action, "skipped: "+e.Reason)
			case runner.EventStarted:
				logw.setAction(e.Action)
				pr := started(e)
				pr.report(strings.Join(e.Argv, " "), -1)
				pct := -1
				if e.Total > 0 {
					pct = 100 * (e.Index - 1) / e.Total
				}
				overall.report(fmt.Sprintf("%s (%d/%d)", e.Action, e.Index, e.Total), pct)
			case runner.EventFinished:
				logw.flush()
				pr := started(e)
				msg := ""
				if e.Result != nil {
					msg = string(e.Result.Status) + ": " + e.Result.Message
				}
				pr.end(msg)
				logw.status(e.Action, "finished: "+msg)
				if e.Total > 0 {
					overall.report(e.Action+": "+msg, 100*e.Index/e.Total)
				}
			}
		},
	}
	res, err := runner.Run(ctx, opts)
	logw.flush()
	if err != nil {
		// Nothing could run (project.yaml has errors, an unknown action, ...): an answer to
		// show, not a protocol error.
		msg := fmt.Sprintf("Cannot run %s: %v", req.Action, err)
		overall.end(msg)
		s.showToClient(protocol.MessageTypeError, msg)
		return json.Marshal(map[string]any{"ran": false, "ok": false, "message": msg})
	}
	s.recordRun(req.Root, res)
	var parts []string
	for _, j := range res.Jobs {
		parts = append(parts, fmt.Sprintf("%s: %s", j.Action, j.Message))
	}
	summary := strings.Join(parts, "; ")
	overall.end(summary)
	if res.OK() {
		s.showToClient(protocol.MessageTypeInfo, summary)
	} else {
		s.showToClient(protocol.MessageTypeError, summary)
	}
	return json.Marshal(map[string]any{"ran": true, "ok": res.OK(), "message": summary, "cancelled": ctx.Err() != nil})
}

// recordRun keeps the problems of the actions that ran and publishes them.
func (s *Server) recordRun(root string, res *runner.Result) {
	s.runs.mu.Lock()
	if s.runs.problems == nil {
		s.runs.problems = map[string]map[string][]runProblem{}
	}
	m := s.runs.problems[root]
	if m == nil {
		m = map[string][]runProblem{}
		s.runs.problems[root] = m
	}
	for _, j := range res.Jobs {
		if j.Status == runner.StatusSkipped || j.Status == runner.StatusPlanned {
			continue
		}
		m[j.Action] = problemsOf(j)
	}
	s.runs.mu.Unlock()
	s.invalidateDisk(root)
	s.diag.touchStudy(root)
	s.refreshOutputs(root)
}
