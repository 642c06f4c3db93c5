package runner

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Status is the outcome of a job, as stored in its record and reported in events.
type Status string

// Job statuses. StatusRunning is written before a job's outputs are moved into the study, so
// an interrupted osls leaves a record that the next plan treats as not done.
const (
	StatusRunning          Status = "running"
	StatusSucceeded        Status = "succeeded"
	StatusFailed           Status = "failed"
	StatusCancelled        Status = "cancelled"
	StatusSkipped          Status = "skipped"           // up to date, not run
	StatusDependencyFailed Status = "dependency_failed" // not started because a need failed
	StatusNotStarted       Status = "not_started"       // an earlier failure stopped the run
	StatusPlanned          Status = "planned"           // dry run: would run
)

// FindingKind says what a Finding is about.
type FindingKind string

// Kinds of findings about a job's files.
const (
	FindingUnmatched  FindingKind = "unmatched_pattern" // a declared pattern matched nothing (error)
	FindingUndeclared FindingKind = "undeclared_file"   // a file the job wrote that no pattern declares
	FindingEscape     FindingKind = "path_escape"       // a file written, or a path named, outside the workspace
	FindingLevel4     FindingKind = "level4"            // a moderately_sensitive file fails a level 4 rule
	FindingInputOnly  FindingKind = "input_only"        // a pattern matched only files copied in from needs
	FindingStale      FindingKind = "stale_output"      // an output of the previous run, removed
	// FindingDisclosure is a disclosure-control finding about a moderately_sensitive file
	// (package outputs, as osls outputs check reports it), other than the level 4 rules.
	FindingDisclosure FindingKind = "disclosure"
)

// Severity ranks findings.
type Severity string

// Finding severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Finding is one problem (or notable fact) about the files of a job.
type Finding struct {
	Kind     FindingKind `json:"kind"`
	Severity Severity    `json:"severity"`
	Path     string      `json:"path,omitempty"`    // the file concerned, study-relative
	Pattern  string      `json:"pattern,omitempty"` // the declared output pattern concerned
	Message  string      `json:"message"`
	// Suggestions are the closest new files, for an unmatched pattern ("did you mean").
	Suggestions []string `json:"suggestions,omitempty"`

	// For findings of the output checks (FindingLevel4 and FindingDisclosure): the rule's
	// code (SDC…), the 1-based data row (0 for the header or the whole file), the column's
	// name, and the 1-based line and byte column in the file (0 for the whole file).
	Code   string `json:"code,omitempty"`
	Row    int    `json:"row,omitempty"`
	Column string `json:"column,omitempty"`
	Line   int    `json:"line,omitempty"`
	Col    int    `json:"col,omitempty"`
}

// Position returns where a finding points: the path, with ":line:col" when it is about a
// place in the file.
func (f Finding) Position() string {
	if f.Line <= 0 {
		return f.Path
	}
	return fmt.Sprintf("%s:%d:%d", f.Path, f.Line, f.Col)
}

// Summary is a finding of the output checks on one line: position, code and message.
func (f Finding) Summary() string {
	where := f.Position()
	if where == "" {
		where = f.Pattern
	}
	var parts []string
	for _, p := range []string{where, f.Code, f.Message} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

// FileRecord describes one file a job consumed or produced.
type FileRecord struct {
	Path   string `json:"path"`
	Level  string `json:"level,omitempty"`  // privacy level, for outputs
	Action string `json:"action,omitempty"` // the need that produced it, for inputs
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Record is what metadata/<action>.run.json holds about the last run of an action. The
// planner compares it with the study to decide whether the action must run again.
type Record struct {
	Action   string       `json:"action"`
	Run      string       `json:"run"`
	Mode     string       `json:"mode"` // how it ran: "local", "docker", "ehrql-engine", "dummy-data-file"
	Argv     []string     `json:"argv,omitempty"`
	Status   Status       `json:"status"`
	Message  string       `json:"message"`
	ExitCode int          `json:"exit_code"`
	Started  time.Time    `json:"started"`
	Finished time.Time    `json:"finished,omitempty"`
	Outputs  []FileRecord `json:"outputs"`
	Inputs   []FileRecord `json:"inputs"` // outputs of the needs, as copied into the workspace
	Code     []FileRecord `json:"code"`   // files named in the run line (and codelists an ehrQL definition reads)
	Findings []Finding    `json:"findings,omitempty"`
}

// EventKind names what an Event reports.
type EventKind string

// Kinds of events, in the order a run emits them: one planned event per action reached,
// then for each, either skipped, or started followed by finished.
const (
	EventPlanned  EventKind = "planned"
	EventSkipped  EventKind = "skipped"
	EventStarted  EventKind = "started"
	EventFinished EventKind = "finished"
)

// Event is a progress report, for the command line's plan and the editor's $/progress.
type Event struct {
	Kind   EventKind
	Action string
	// Reason says why the action runs or is skipped ("requested", "code changed: …").
	Reason string
	// Index counts the jobs that run (1-based) among Total; both are 0 for skipped actions.
	Index, Total int
	// Argv is the command that runs (or would run, in a dry run); nil for in-process jobs.
	Argv []string
	// Result is set on EventFinished (and on EventSkipped for actions not started).
	Result *JobResult
}

// JobResult is the outcome of one action in a run.
type JobResult struct {
	Action   string
	Status   Status
	Reason   string // why it ran or was skipped
	Message  string // the status message: "Completed successfully", "Job exited with an error", …
	ExitCode int
	Findings []Finding
	Outputs  []FileRecord
	LogPath  string   // study-relative, "" when the action did not run
	Argv     []string // the command run, or that would run in a dry run
	Record   *Record  // the record written, nil when the action did not run
}

// Failed reports whether the job counts as a failure for the run's exit status.
func (j *JobResult) Failed() bool {
	switch j.Status {
	case StatusFailed, StatusCancelled, StatusDependencyFailed:
		return true
	}
	return false
}

// Options says what to run and how.
type Options struct {
	// Dir is the study folder, holding project.yaml.
	Dir string
	// Actions are the action ids to run; "run_all" stands for every action.
	Actions []string
	// ForceRunDependencies re-runs every need reached, even when up to date.
	ForceRunDependencies bool
	// NoNeeds runs only the named actions, using whatever outputs their needs already have
	// (the editor's plain "Run"). A need with no outputs fails the job.
	NoNeeds bool
	// ContinueOnError keeps running independent actions after a failure.
	ContinueOnError bool
	// DryRun plans and reports the commands without running anything.
	DryRun bool
	// Docker runs every action in its OpenSAFELY image with the docker command line.
	Docker bool
	// Log receives every job's output as it is produced (each job's log file gets it too).
	// Nil discards it.
	Log io.Writer
	// Progress, when set, is called with each event, from the goroutine that called Run.
	Progress func(Event)
	// KillGrace is how long a cancelled job has between SIGTERM and SIGKILL (default 5s).
	KillGrace time.Duration
	// KeepWorkspace leaves each job's working copy under metadata/.osls-jobs for debugging.
	KeepWorkspace bool
}

// Result is the outcome of Run: the plan and one JobResult per action reached, in the order
// they were planned.
type Result struct {
	Plan *Plan
	Jobs []*JobResult
}

// OK reports whether no job failed.
func (r *Result) OK() bool {
	if r == nil {
		return false
	}
	for _, j := range r.Jobs {
		if j.Failed() {
			return false
		}
	}
	return true
}

// Job returns the result for an action, or nil.
func (r *Result) Job(action string) *JobResult {
	if r == nil {
		return nil
	}
	for _, j := range r.Jobs {
		if j.Action == action {
			return j
		}
	}
	return nil
}
