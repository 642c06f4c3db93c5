package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Run plans and runs the requested actions of the study in o.Dir. It returns an error only
// when nothing could run (project.yaml missing or invalid, an unknown action, Docker
// requested but unavailable); the outcome of each action, failures included, is in the
// Result. Cancelling ctx stops the running job's whole process tree; its outputs are not
// collected and its record says it was cancelled.
func Run(ctx context.Context, o Options) (*Result, error) {
	st, err := OpenStudy(o.Dir)
	if err != nil {
		return nil, err
	}
	return RunStudy(ctx, st, o)
}

// RunStudy is Run for a study already opened.
func RunStudy(ctx context.Context, st *Study, o Options) (*Result, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.KillGrace <= 0 {
		o.KillGrace = 5 * time.Second
	}
	emit := func(e Event) {
		if o.Progress != nil {
			o.Progress(e)
		}
	}
	pl, err := NewPlan(st, PlanOptions{Actions: o.Actions, ForceRunDependencies: o.ForceRunDependencies, NoNeeds: o.NoNeeds})
	if err != nil {
		return nil, err
	}
	if o.Docker && !o.DryRun && len(pl.ToRun()) > 0 {
		if err := DockerAvailable(ctx); err != nil {
			return nil, err
		}
	}
	total := len(pl.ToRun())
	for _, s := range pl.Steps {
		emit(Event{Kind: EventPlanned, Action: s.ID, Reason: s.Reason, Total: total})
	}
	res := &Result{Plan: pl}
	failed := map[string]bool{}
	stopped := false
	index := 0
	for _, s := range pl.Steps {
		jr := &JobResult{Action: s.ID, Reason: s.Reason}
		res.Jobs = append(res.Jobs, jr)
		if !s.Run {
			jr.Status, jr.Message = StatusSkipped, s.Reason
			emit(Event{Kind: EventSkipped, Action: s.ID, Reason: s.Reason, Result: jr})
			continue
		}
		index++
		var bad []string
		for _, n := range s.Needs {
			if failed[n] {
				bad = append(bad, n)
			}
		}
		switch {
		case ctx.Err() != nil: // before the needs: a need cancelled did not fail
			jr.Status, jr.Message = StatusCancelled, "Not started: the run was cancelled"
			failed[s.ID] = true
		case len(bad) > 0:
			jr.Status, jr.Message = StatusDependencyFailed, "Not starting as dependency failed: "+strings.Join(bad, ", ")
			failed[s.ID] = true
		case stopped:
			jr.Status, jr.Message = StatusNotStarted, "Not started: an earlier action failed (use --continue-on-error to keep going)"
		case o.DryRun:
			dryRun(st, s, o, jr)
		default:
			runJob(ctx, st, s, o, jr, func(argv []string) {
				emit(Event{Kind: EventStarted, Action: s.ID, Reason: s.Reason, Index: index, Total: total, Argv: argv})
			})
			st.rescan()
		}
		if jr.Failed() {
			failed[s.ID] = true
			if !o.ContinueOnError {
				stopped = true
			}
		}
		emit(Event{Kind: EventFinished, Action: s.ID, Reason: s.Reason, Index: index, Total: total, Argv: jr.Argv, Result: jr})
	}
	return res, nil
}

// dryRun fills in the command a step would run.
func dryRun(st *Study, s *Step, o Options, jr *JobResult) {
	jr.Status = StatusPlanned
	ws := filepath.Join(st.Dir, filepath.FromSlash(jobsDir), s.ID, "workspace")
	cmd, err := buildCommand(s.Action, ws, o.Docker)
	if err != nil {
		jr.Status, jr.Message = StatusFailed, err.Error()
		return
	}
	jr.Argv = cmd.argv
	jr.Message = "would run " + cmd.mode
	if cmd.describe != "" {
		jr.Message += ": " + cmd.describe
	}
}

// runJob runs one action, filling in jr, and writes its log and record.
func runJob(ctx context.Context, st *Study, s *Step, o Options, jr *JobResult, started func(argv []string)) {
	a := s.Action
	jr.LogPath = LogPath(a.ID)
	rec := &Record{Action: a.ID, Run: a.Run, Started: time.Now().UTC(), ExitCode: -1}
	fail := func(status Status, msg string) {
		jr.Status, jr.Message = status, msg
	}
	if err := validActionID(a.ID); err != nil {
		fail(StatusFailed, err.Error())
		return
	}
	if err := os.MkdirAll(filepath.Join(st.Dir, MetadataDir), 0o755); err != nil {
		fail(StatusFailed, "cannot create metadata/: "+err.Error())
		return
	}
	logFile, err := os.Create(filepath.Join(st.Dir, filepath.FromSlash(jr.LogPath)))
	if err != nil {
		fail(StatusFailed, "cannot write the log: "+err.Error())
		return
	}
	log := io.MultiWriter(logFile, o.Log)
	defer func() {
		rec.Status, rec.Message, rec.Findings = jr.Status, jr.Message, jr.Findings
		rec.ExitCode, rec.Argv = jr.ExitCode, jr.Argv
		if rec.Status != StatusSucceeded {
			rec.Outputs = nil
		}
		rec.Finished = time.Now().UTC()
		jr.Outputs = rec.Outputs
		writeTrailer(logFile, rec)
		logFile.Close()
		if err := writeRecord(st.Dir, rec); err != nil && jr.Status == StatusSucceeded {
			jr.Status, jr.Message = StatusFailed, err.Error()
		}
		jr.Record = rec
	}()

	for _, p := range st.codeFiles(a) {
		if fr, err := fileRecord(st.Dir, p); err == nil {
			rec.Code = append(rec.Code, fr)
		}
	}
	var nb [4]byte
	_, _ = rand.Read(nb[:])
	root := filepath.Join(st.Dir, filepath.FromSlash(jobsDir), a.ID+"-"+hex.EncodeToString(nb[:]))
	if !o.KeepWorkspace {
		defer os.RemoveAll(root)
	}
	ws, err := prepareWorkspace(st, a, root)
	if err != nil {
		fmt.Fprintf(log, "osls: %v\n", err)
		fail(StatusFailed, err.Error())
		return
	}
	rec.Inputs = ws.inputs
	jr.Findings = append(jr.Findings, ws.findings...)
	cmd, err := buildCommand(a, ws.dir, o.Docker)
	if err != nil {
		fmt.Fprintf(log, "osls: %v\n", err)
		fail(StatusFailed, err.Error())
		return
	}
	rec.Mode, jr.Argv = cmd.mode, cmd.argv
	started(cmd.argv)
	own := []string{jr.LogPath, RecordPath(a.ID), historyFile}
	before := studyStamps(st.Dir, own...)

	var pr processResult
	if cmd.inproc != nil {
		fmt.Fprintf(log, "osls: %s\n", cmd.describe)
		err := cmd.inproc(ctx, log)
		switch {
		case ctx.Err() != nil:
			pr = processResult{exitCode: -1, cancelled: true}
		case err != nil:
			fmt.Fprintf(log, "error: %v\n", err)
			fail(StatusFailed, "Job exited with an error: "+err.Error())
			jr.ExitCode = 1
			return
		}
	} else {
		var onCancel func()
		if cmd.container != "" {
			name := cmd.container
			onCancel = func() { stopContainer(name) }
		}
		pr = runProcess(ctx, cmd.argv, ws.dir, childEnv(cmd.env), log, o.KillGrace, onCancel)
	}
	jr.ExitCode = pr.exitCode
	for _, p := range studyChanges(before, studyStamps(st.Dir, own...)) {
		jr.Findings = append(jr.Findings, Finding{Kind: FindingEscape, Severity: SeverityWarning, Path: p,
			Message: p + " changed in the study folder while the action ran, outside its workspace (does the code write to an absolute path?); osls does not treat it as an output"})
	}
	switch {
	case pr.cancelled:
		fmt.Fprintln(log, "osls: cancelled; the job's process group was stopped and its outputs discarded")
		fail(StatusCancelled, "Cancelled: outputs discarded")
		return
	case pr.err != nil:
		fail(StatusFailed, fmt.Sprintf("Could not run %s: %v", cmd.argv[0], pr.err))
		return
	case pr.exitCode != 0:
		fail(StatusFailed, fmt.Sprintf("Job exited with an error (exit code %d)", pr.exitCode))
		return
	}
	c := collect(a, ws)
	jr.Findings = append(jr.Findings, c.findings...)
	var unmatched []string
	for _, f := range c.findings {
		if f.Severity == SeverityError {
			line := " - " + f.Pattern
			if f.Kind == FindingEscape {
				line += " (" + f.Message + ")"
			}
			unmatched = append(unmatched, line)
		}
	}
	if len(unmatched) > 0 {
		msg := "No outputs found matching patterns:\n" + strings.Join(unmatched, "\n")
		var cands []string
		for _, f := range c.findings {
			if f.Kind == FindingUndeclared {
				cands = append(cands, " - "+f.Path)
			}
		}
		if len(cands) > 0 {
			msg += "\nDid you mean to match one of these files instead?\n" + strings.Join(cands, "\n")
		}
		fail(StatusFailed, msg)
		return
	}
	if ctx.Err() != nil {
		fail(StatusCancelled, "Cancelled: outputs discarded")
		return
	}
	jr.Findings = append(jr.Findings, st.checkOutputs(a, ws.dir, c.outputs)...)
	// Mark the action as not done while its outputs move, so an interruption is noticed.
	rec.Outputs = c.outputs
	rec.Status = StatusRunning
	prev := st.record(a.ID)
	if err := writeRecord(st.Dir, rec); err != nil {
		fail(StatusFailed, err.Error())
		return
	}
	if err := moveOutputs(ws.dir, st.Dir, c.outputs); err != nil {
		fail(StatusFailed, "Internal error: collecting outputs: "+err.Error())
		return
	}
	jr.Findings = append(jr.Findings, removeStale(st.Dir, prev, c.outputs, log)...)
	jr.Status, jr.Message = StatusSucceeded, "Completed successfully"
	if n := countKind(jr.Findings, FindingLevel4); n > 0 {
		jr.Message = fmt.Sprintf("Completed successfully, but %d file(s) marked as moderately_sensitive would be excluded from level 4. See the job log for details.", n)
	}
}

// moveOutputs renames each collected file from the workspace into the study. The workspace
// lives on the study's file system, so each rename is atomic.
func moveOutputs(ws, dir string, outs []FileRecord) error {
	for _, o := range outs {
		rel, err := safeRel(o.Path)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if fi, err := os.Lstat(dst); err == nil && !fi.Mode().IsRegular() {
			return fmt.Errorf("%s exists and is not a regular file", rel)
		}
		src := filepath.Join(ws, filepath.FromSlash(rel))
		if err := os.Rename(src, dst); err != nil {
			var le *os.LinkError
			if !errors.As(err, &le) {
				return err
			}
			// Different file systems: copy beside the target, then rename.
			tmp := dst + ".osls-tmp"
			if err := copyFile(src, tmp); err != nil {
				os.Remove(tmp)
				return err
			}
			if err := os.Rename(tmp, dst); err != nil {
				os.Remove(tmp)
				return err
			}
		}
	}
	return nil
}

// removeStale deletes outputs of the action's previous run that this run did not produce,
// when they are still exactly what that run wrote (a file the user changed is left alone).
func removeStale(dir string, prev *Record, now []FileRecord, log io.Writer) []Finding {
	if prev == nil || prev.Status != StatusSucceeded {
		return nil
	}
	keep := map[string]bool{}
	for _, o := range now {
		keep[strings.ToLower(o.Path)] = true
	}
	var out []Finding
	for _, o := range prev.Outputs {
		if keep[strings.ToLower(o.Path)] {
			continue
		}
		rel, err := safeRel(o.Path)
		if err != nil {
			continue
		}
		fr, err := fileRecord(dir, rel)
		if err != nil || fr.SHA256 != o.SHA256 {
			continue
		}
		if os.Remove(filepath.Join(dir, filepath.FromSlash(rel))) == nil {
			fmt.Fprintf(log, "osls: removed %s, an output of the previous run that this run did not produce\n", rel)
			out = append(out, Finding{Kind: FindingStale, Severity: SeverityInfo, Path: rel,
				Message: rel + " was an output of the previous run but not of this one; removed"})
		}
	}
	return out
}

func countKind(fs []Finding, k FindingKind) int {
	n := 0
	for _, f := range fs {
		if f.Kind == k {
			n++
		}
	}
	return n
}

// writeTrailer ends a log with the job's outcome, as opensafely-cli's logs do.
func writeTrailer(w io.Writer, r *Record) {
	fmt.Fprintf(w, "\naction: %s\nrun: %s\n", r.Action, r.Run)
	if r.Mode != "" {
		fmt.Fprintf(w, "mode: %s\n", r.Mode)
	}
	fmt.Fprintf(w, "exit_code: %d\nstarted_at: %s\ncompleted_at: %s\nstatus: %s\nstatus_message: %s\n",
		r.ExitCode, r.Started.Format(time.RFC3339), time.Now().UTC().Format(time.RFC3339), r.Status, r.Message)
	if len(r.Outputs) > 0 {
		fmt.Fprintln(w, "outputs:")
		for _, o := range r.Outputs {
			fmt.Fprintf(w, "  %s  - %s\n", o.Path, o.Level)
		}
	}
	var l4 []Finding
	for _, f := range r.Findings {
		if f.Kind == FindingLevel4 {
			l4 = append(l4, f)
		}
	}
	if len(l4) > 0 {
		fmt.Fprintln(w, "Invalid moderately_sensitive outputs:")
		for _, f := range l4 {
			fmt.Fprintf(w, "  %s  - %s\n", f.Path, f.Message)
		}
	}
	var sdc []Finding
	for _, f := range r.Findings {
		if f.Kind == FindingDisclosure {
			sdc = append(sdc, f)
		}
	}
	if len(sdc) > 0 {
		fmt.Fprintln(w, "Disclosure-control findings in moderately_sensitive outputs (osls outputs check):")
		for _, f := range sdc {
			fmt.Fprintf(w, "  %s\n", f.Summary())
		}
	}
	for _, f := range r.Findings {
		if f.Kind != FindingLevel4 && f.Kind != FindingDisclosure {
			fmt.Fprintf(w, "%s: %s\n", f.Severity, f.Message)
		}
	}
}
