// Package dummy runs ehrQL commands without Docker: it analyses a dataset definition into
// the query model (analysis), then evaluates it with the engine (dummy/engine) over dummy
// tables, a ready-made dummy dataset, or patients made by the generator (dummy/generate),
// and writes the outputs ehrQL would write. Errors carry ehrQL's exit statuses.
package dummy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/opensafely-core/osls/analysis"
	"github.com/opensafely-core/osls/analysis/qm"
	"github.com/opensafely-core/osls/dummy/engine"
	"github.com/opensafely-core/osls/dummy/generate"
)

// Exit statuses, as ehrQL's.
const (
	ExitDefinition = 10
	ExitValidation = 11
	ExitPermission = 12
	ExitUsage      = 2
)

// Error is a failure with ehrQL's exit status.
type Error struct {
	Code int
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

func errorf(code int, format string, args ...any) error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// ExitCode returns the exit status for an error (1 when it has none).
func ExitCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var v *engine.FileValidationError
	if errors.As(err, &v) {
		return ExitValidation
	}
	return 1
}

// Options are the arguments of generate-dataset, generate-measures and
// create-dummy-tables.
type Options struct {
	Definition     string // path of the definition, relative to WorkDir (or absolute)
	WorkDir        string // the study folder (ehrQL's working directory)
	Version        string // ehrQL API version ("v1" when empty)
	Output         string // file, DIR:EXT, or "" for stdout
	DummyTables    string
	DummyDataFile  string
	PopulationSize int // 0: from configure_dummy_data, else 10
	Seed           uint64
	Today          qm.Date // zero: the real date
	Params         []string
	Stdout         io.Writer
	Log            io.Writer
}

func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", args...)
	}
}

func (o *Options) abs(p string) string {
	if filepath.IsAbs(p) || o.WorkDir == "" {
		return p
	}
	return filepath.Join(o.WorkDir, p)
}

// Load analyses a definition and returns its result, or an exit-10 error with ehrQL's
// message for the first error.
func Load(o *Options, command string) (*analysis.Definition, error) {
	root := o.WorkDir
	if root == "" {
		root = "."
	}
	entry := o.Definition
	if filepath.IsAbs(entry) {
		rel, err := filepath.Rel(root, entry)
		if err != nil || strings.HasPrefix(rel, "..") {
			return nil, errorf(ExitDefinition, "%s must be inside the study folder %s", entry, root)
		}
		entry = rel
	}
	entry = filepath.ToSlash(filepath.Clean(entry))
	if _, err := os.Stat(filepath.Join(root, entry)); err != nil {
		return nil, errorf(ExitDefinition, "Error loading file '%s':\nFileNotFoundError: No such file or directory: '%s'", o.Definition, o.Definition)
	}
	def := analysis.AnalyzeDefinition(analysis.NewFSSnapshot(os.DirFS(root)), entry, analysis.DefinitionOptions{Version: o.Version, Params: o.Params, Command: command})
	for _, d := range def.Diagnostics {
		if d.Severity != analysis.SeverityError {
			continue
		}
		line := 1
		if src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(d.File))); err == nil {
			line, _ = analysis.NewLines(src).CharPos(d.Range.Start)
			line++
		}
		return def, errorf(ExitDefinition, "Error loading file '%s':\n  File \"%s\", line %d\n%s", o.Definition, d.File, line, d.Message)
	}
	return def, nil
}

// checkPermissions fails (exit 12) when a table needs a permission the definition does not
// claim.
func checkPermissions(p *engine.Program, claimed []string) error {
	have := map[string]bool{}
	for _, c := range claimed {
		have[c] = true
	}
	var missing []string
	for _, t := range p.Tables {
		if t.Permission != "" && !have[t.Permission] && !have["*"] {
			missing = append(missing, fmt.Sprintf("%s (table %s)", t.Permission, t.Name))
		}
	}
	if len(p.EventTables) > 0 && !have["event_level_data"] && !have["*"] {
		missing = append(missing, "event_level_data (add_event_table)")
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return errorf(ExitPermission, "EHRQLPermissionError: Some of the tables or features you are using require special permission: %s.\nTo use them with dummy data, add claim_permissions(...) with these names to your dataset definition; to run on real data, ask for the permissions for your project.", strings.Join(missing, ", "))
}

// compileDataset compiles a dataset and applies ehrQL's load-time checks.
func compileDataset(ds *qm.Dataset) (*engine.Program, error) {
	if ds == nil {
		return nil, errorf(ExitDefinition, "Did not find a variable called 'dataset' in dataset definition file")
	}
	if ds.Population == nil {
		return nil, errorf(ExitDefinition, "A population has not been defined; define one with define_population()")
	}
	p, err := engine.Compile(ds)
	if err != nil {
		return nil, errorf(ExitDefinition, "%v", err)
	}
	if err := p.CheckPopulation(); err != nil {
		return nil, errorf(ExitDefinition, "ehrql.Error: %v", err)
	}
	if err := checkPermissions(p, ds.Permissions); err != nil {
		return nil, err
	}
	return p, nil
}

// outputWriter opens the output: a file by extension, DIR:EXT (dataset.EXT inside DIR), or
// stdout as CSV.
func (o *Options) outputWriter(name string) (engine.Writer, func(), error) {
	if o.Output == "" {
		out := o.Stdout
		if out == nil {
			out = os.Stdout
		}
		return engine.NewCSVWriter(out), func() {}, nil
	}
	path := o.Output
	if dir, ext, ok := engine.SplitDirOutput(o.Output); ok {
		if engine.FormatOf("x."+ext) == "" {
			return nil, nil, errorf(ExitUsage, "error: argument --output: %s is not a supported format; use one of: %s", ext, strings.Join(engine.Formats, ", "))
		}
		path = filepath.Join(dir, name+"."+ext)
	} else if engine.FormatOf(path) == "" {
		return nil, nil, errorf(ExitUsage, "error: argument --output: %s has no supported extension; use one of: .%s (or DIR:EXT)", o.Output, strings.Join(engine.Formats, ", ."))
	}
	w, err := engine.CreateFile(o.abs(path))
	if err != nil {
		return nil, nil, err
	}
	return w, w.Abort, nil
}

// GenerateDataset is `generate-dataset`.
func GenerateDataset(ctx context.Context, o Options) error {
	def, err := Load(&o, "generate-dataset")
	if err != nil {
		return err
	}
	p, err := compileDataset(def.Dataset)
	if err != nil {
		return err
	}
	for _, n := range p.Notes {
		o.logf("osls: note: %s", n)
	}
	if o.DummyDataFile != "" {
		return o.copyDummyData(ctx, p)
	}
	if err := o.checkTablesOutput(len(p.EventTables)); err != nil {
		return err
	}
	w, abort, err := o.outputWriter("dataset")
	if err != nil {
		return err
	}
	var events []engine.Writer
	for _, et := range p.EventTables {
		ew, eabort, err := o.outputWriter(pyQuote(et.Name))
		if err != nil {
			abort()
			return err
		}
		events = append(events, ew)
		prev := abort
		abort = func() { eabort(); prev() }
	}
	var src engine.Source
	if o.DummyTables != "" {
		ts, err := engine.LoadDummyTables(p, o.DummyTables, o.WorkDir)
		if err != nil {
			abort()
			return err
		}
		defer ts.Close()
		for _, n := range ts.Notes {
			o.logf("osls: note: %s", n)
		}
		src = ts
	} else {
		targets, err := o.expectations(def)
		if err != nil {
			abort()
			return err
		}
		g, err := newGenerator(&o, p, def.Dataset.Population, def.Dataset.Dummy, targets...)
		if err != nil {
			abort()
			return err
		}
		src = g
		defer func() {
			o.logf("osls: generated %d patients (%d candidates tried)", g.Made(), g.Attempts)
			for _, r := range g.TargetReport() {
				o.logf("osls: warning: %s", r)
			}
		}()
	}
	if _, err := engine.Evaluate(ctx, p, src, w, events...); err != nil {
		abort()
		return err
	}
	if err := w.Close(); err != nil {
		abort()
		return err
	}
	for _, ew := range events {
		if err := ew.Close(); err != nil {
			abort()
			return err
		}
	}
	return nil
}

// checkTablesOutput fails, as ehrQL does, when a dataset has more results tables than the
// main one (event tables) but the output is a single file or stdout.
func (o *Options) checkTablesOutput(events int) error {
	if events == 0 {
		return nil
	}
	if _, _, ok := engine.SplitDirOutput(o.Output); ok {
		return nil
	}
	n := events + 1
	if o.Output == "" {
		return &engine.FileValidationError{Msg: fmt.Sprintf("Attempting to write %d tables, but output only supports a single table\n  write them to a directory instead, e.g. --output output/dataset/:csv", n)}
	}
	// Python's Path(out).parent / stem, then :suffix (so ds.csv.gz suggests ds.csv/:gz).
	dir, base := filepath.Split(o.Output)
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	try := filepath.ToSlash(filepath.Join(dir, stem)) + "/:" + strings.TrimPrefix(ext, ".")
	return &engine.FileValidationError{Msg: fmt.Sprintf("Attempting to write %d tables, but output only supports a single table\n  Instead of -> %s\n         try -> %s", n, o.Output, try)}
}

// pyQuote escapes a table name for its file name as Python's urllib.parse.quote(name,
// safe="") does.
func pyQuote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.-~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func newGenerator(o *Options, p *engine.Program, pop qm.Series, cfg qm.DummyConfig, targets ...generate.Target) (*generate.Generator, error) {
	size := o.PopulationSize
	if size <= 0 {
		size = cfg.PopulationSize
	}
	if size <= 0 {
		size = 10
	}
	if cfg.Constraint != nil {
		pop = qm.NewFunction(qm.FnAnd, qm.TBool, pop, cfg.Constraint)
	}
	timeout := time.Duration(cfg.Timeout) * time.Second
	files, err := o.inlineFiles(p)
	if err != nil {
		return nil, err
	}
	return generate.New(p, generate.Options{
		PopulationSize: size, Seed: o.Seed, Today: o.Today, Timeout: timeout, Version: o.Version, Population: pop, Targets: targets, Files: files,
		Log: func(format string, args ...any) { o.logf("osls: "+format, args...) },
	})
}
