package runner

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/opensafely-core/osls/analysis"
)

// EhrQLJob is an ehrQL action for an EhrQLEngine to run. Paths are as written in the run
// line (relative to WorkDir, which is the job's workspace and working directory).
type EhrQLJob struct {
	Action        string
	Version       string   // the image tag: "v1", "v0"
	Command       string   // "generate-dataset", "generate-measures", …
	Args          []string // every argument after the image, Command first (with --config appended when the action has config)
	Definition    string   // the dataset or measures definition, the first argument after Command
	Output        string   // --output, "" when absent
	DummyDataFile string   // --dummy-data-file, "" when absent
	DummyTables   string   // --dummy-tables, "" when absent
	Params        []string // arguments after "--", for the definition
	WorkDir       string   // absolute path of the job's workspace
	Log           io.Writer
}

// EhrQLEngine runs ehrQL actions against dummy data, inside the job's workspace. It must
// stop promptly when ctx is cancelled, and write only the declared outputs.
type EhrQLEngine interface {
	Run(ctx context.Context, job EhrQLJob) error
}

var (
	engineMu sync.RWMutex
	engine   EhrQLEngine
)

// SetEhrQLEngine registers the engine that runs ehrQL actions (nil removes it).
func SetEhrQLEngine(e EhrQLEngine) {
	engineMu.Lock()
	defer engineMu.Unlock()
	engine = e
}

// HasEhrQLEngine reports whether an engine is registered.
func HasEhrQLEngine() bool {
	engineMu.RLock()
	defer engineMu.RUnlock()
	return engine != nil
}

func currentEngine() EhrQLEngine {
	engineMu.RLock()
	defer engineMu.RUnlock()
	return engine
}

// flagValue reads `--name value` or `--name=value`.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if a == "--" {
			break
		}
		if a == name && i+1 < len(args) {
			return args[i+1], true
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

func parseEhrQLJob(a *analysis.Action, args []string, ws string) (EhrQLJob, error) {
	job := EhrQLJob{Action: a.ID, Version: a.Tag, Args: args, WorkDir: ws}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		job.Command = args[0]
		if len(args) > 1 && !strings.HasPrefix(args[1], "-") {
			job.Definition = args[1]
		}
	}
	job.Output, _ = flagValue(args, "--output")
	job.DummyDataFile, _ = flagValue(args, "--dummy-data-file")
	job.DummyTables, _ = flagValue(args, "--dummy-tables")
	for i, s := range args {
		if s == "--" {
			job.Params = append([]string(nil), args[i+1:]...)
			break
		}
	}
	for _, p := range []string{job.Definition, job.Output, job.DummyDataFile, job.DummyTables} {
		if p == "" {
			continue
		}
		q := strings.TrimSuffix(p, ":csv")
		if rel, err := filepath.Rel(ws, q); err == nil && filepath.IsAbs(q) && !strings.HasPrefix(rel, "..") {
			continue // a /workspace path, already rewritten
		}
		if _, err := safeRel(q); err != nil {
			return job, err
		}
	}
	return job, nil
}

// ehrqlCommand runs ehrQL through the registered engine or, without one, copies a
// --dummy-data-file to --output.
func ehrqlCommand(a *analysis.Action, args []string, ws string) (*command, error) {
	job, err := parseEhrQLJob(a, args, ws)
	if err != nil {
		return nil, &CannotRunError{Action: a.ID, Reason: err.Error()}
	}
	if e := currentEngine(); e != nil {
		return &command{mode: "ehrql-engine", describe: "ehrQL " + job.Command + " " + job.Definition + " (osls's dummy-data engine)",
			inproc: func(ctx context.Context, log io.Writer) error {
				job.Log = log
				return e.Run(ctx, job)
			}}, nil
	}
	if (job.Command == "generate-dataset" || job.Command == "generate-measures") && job.DummyDataFile != "" && job.Output != "" {
		return dummyCopyCommand(job), nil
	}
	return nil, &CannotRunError{Action: a.ID, Reason: "the ehrQL engine is not available yet, so osls cannot run this ehrQL action. " +
		"Add `--dummy-data-file <file>` to its run line to use a ready-made dummy dataset, or run with --docker"}
}

// dummyCopyCommand copies the dummy data file to the output, converting between .csv and
// .csv.gz where the extensions ask for it.
func dummyCopyCommand(job EhrQLJob) *command {
	return &command{mode: "dummy-data-file", describe: "copy " + job.DummyDataFile + " to " + job.Output,
		inproc: func(ctx context.Context, log io.Writer) error {
			fmt.Fprintf(log, "osls: copying the dummy data file %s to %s (its columns are not checked against the definition without the ehrQL engine)\n", job.DummyDataFile, job.Output)
			return copyDummy(ctx, job.WorkDir, job.DummyDataFile, job.Output)
		}}
}

// dataFormat names a dataset file's format by its extension.
func dataFormat(p string) string {
	switch {
	case strings.HasSuffix(p, ".csv.gz"):
		return "csv.gz"
	case strings.HasSuffix(p, ".csv"):
		return "csv"
	case strings.HasSuffix(p, ".arrow"):
		return "arrow"
	}
	return ""
}

func copyDummy(ctx context.Context, ws, src, dst string) error {
	if strings.HasSuffix(dst, "/") || strings.Contains(dst, ":") {
		return errors.New("--output " + dst + " is a folder of tables, which needs the ehrQL engine; write one file instead")
	}
	from, to := dataFormat(src), dataFormat(dst)
	if from == "" {
		return fmt.Errorf("--dummy-data-file %s: use a .csv, .csv.gz or .arrow file", src)
	}
	if to == "" {
		return fmt.Errorf("--output %s: use a .csv, .csv.gz or .arrow file", dst)
	}
	if from != to && (from == "arrow" || to == "arrow") {
		return fmt.Errorf("cannot turn %s into %s: converting between Arrow and CSV needs the ehrQL engine, which is not available yet; give a --dummy-data-file in the output's format (%s)", src, dst, to)
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(ws, filepath.FromSlash(p))
	}
	in, err := os.Open(abs(src))
	if err != nil {
		return fmt.Errorf("reading the dummy data file: %w", err)
	}
	defer in.Close()
	var r io.Reader = in
	if from == "csv.gz" && to == "csv" {
		gz, err := gzip.NewReader(in)
		if err != nil {
			return fmt.Errorf("reading %s: %w", src, err)
		}
		r = gz
	}
	out := abs(dst)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	var w io.Writer = f
	var gz *gzip.Writer
	if from == "csv" && to == "csv.gz" {
		gz = gzip.NewWriter(f)
		w = gz
	}
	_, err = io.Copy(w, ctxReader{ctx, r})
	if gz != nil {
		if cerr := gz.Close(); err == nil {
			err = cerr
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
