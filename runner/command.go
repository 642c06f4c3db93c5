package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opensafely-core/osls/analysis"
	"github.com/opensafely-core/osls/schema"
)

// command is how one job runs: an argv to start, or an in-process function.
type command struct {
	mode   string   // "local", "docker", "ehrql-engine", "dummy-data-file"
	argv   []string // the process to start; nil for in-process jobs
	env    []string // extra environment for the process
	inproc func(ctx context.Context, log io.Writer) error
	// describe says what an in-process job does, for dry runs and logs.
	describe  string
	container string // docker container name, to stop it on cancellation
}

// CannotRunError explains why an action cannot run on this machine, and what to do instead.
type CannotRunError struct {
	Action string
	Reason string
}

func (e *CannotRunError) Error() string { return e.Reason }

// runArgs returns the run line's arguments after the image, with `--config '<json>'`
// appended when the action has a config mapping, as opensafely-cli does.
func runArgs(a *analysis.Action) []string {
	var args []string
	for _, w := range a.Args() {
		args = append(args, w.Text)
	}
	if a.Config != nil && !a.Config.IsNull() {
		args = append(args, "--config", configJSON(a.Config))
	}
	return args
}

// configJSON encodes a YAML node as Python's json.dumps would encode the value PyYAML reads.
func configJSON(n *analysis.Node) string {
	var b strings.Builder
	writeJSON(&b, n)
	return strings.ReplaceAll(b.String(), "'", `\u0027`)
}

func writeJSON(b *strings.Builder, n *analysis.Node) {
	switch {
	case n == nil || n.Kind == analysis.KindNull:
		b.WriteString("null")
	case n.Kind == analysis.KindMapping:
		b.WriteByte('{')
		for i, p := range n.Pairs {
			if i > 0 {
				b.WriteString(", ")
			}
			k, _ := json.Marshal(p.Key.Value)
			b.Write(k)
			b.WriteString(": ")
			writeJSON(b, p.Value)
		}
		b.WriteByte('}')
	case n.Kind == analysis.KindSequence:
		b.WriteByte('[')
		for i, it := range n.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSON(b, it)
		}
		b.WriteByte(']')
	default:
		switch n.Tag {
		case "int":
			if v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
				b.WriteString(strconv.FormatInt(v, 10))
				return
			}
		case "float":
			if v, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil {
				s := strconv.FormatFloat(v, 'g', -1, 64)
				if !strings.ContainsAny(s, ".eEn") {
					s += ".0"
				}
				b.WriteString(s)
				return
			}
		case "bool":
			if v := strings.ToLower(n.Value); v == "true" || v == "false" {
				b.WriteString(v)
				return
			}
		case "null":
			b.WriteString("null")
			return
		}
		s, _ := json.Marshal(n.Value)
		b.Write(s)
	}
}

// localPath rewrites arguments that name /workspace (the images' working directory) to the
// job's own workspace, so run lines written for the container work locally.
func localPath(arg, ws string) string {
	if arg == "/workspace" {
		return ws
	}
	if strings.HasPrefix(arg, "/workspace/") {
		return filepath.Join(ws, arg[len("/workspace/"):])
	}
	if i := strings.Index(arg, "=/workspace"); i >= 0 && strings.HasPrefix(arg, "-") {
		return arg[:i+1] + localPath(arg[i+1:], ws)
	}
	return arg
}

// lookPath finds an interpreter, or says how to get one.
var lookPath = exec.LookPath

func interpreter(names []string, a *analysis.Action, what string) (string, error) {
	for _, n := range names {
		if p, err := lookPath(n); err == nil {
			return p, nil
		}
	}
	return "", &CannotRunError{Action: a.ID, Reason: fmt.Sprintf(
		"%s runs with %s, which is not installed (not found on PATH). Install it, or run with --docker if Docker is available", a.Image+":"+a.Tag, what)}
}

// buildCommand decides how an action runs here. ws is its workspace (a placeholder in dry
// runs); docker selects the OpenSAFELY images.
func buildCommand(a *analysis.Action, ws string, docker bool) (*command, error) {
	if a.SplitErr != nil || len(a.Words) == 0 {
		return nil, &CannotRunError{Action: a.ID, Reason: "the run line cannot be read; osls check explains why"}
	}
	img, builtin := schema.LookupImage(a.Image)
	if !builtin {
		what := "is not an OpenSAFELY image, so it names a reusable action"
		if _, ok := schema.LookupReusableAction(a.Image); ok {
			what = "is a reusable action"
		}
		return nil, &CannotRunError{Action: a.ID, Reason: fmt.Sprintf(
			"%s %s (https://github.com/opensafely-actions/%s). osls cannot fetch and run reusable actions yet: run this action with `opensafely run %s` (needs Docker and network access)",
			a.Image, what, a.Image, a.ID)}
	}
	args := runArgs(a)
	if docker {
		return dockerCommand(a, img, args, ws), nil
	}
	local := make([]string, len(args))
	for i, s := range args {
		local[i] = localPath(s, ws)
	}
	switch img.Name {
	case "python":
		py, err := interpreter([]string{"python3", "python"}, a, "Python 3 (python3)")
		if err != nil {
			return nil, err
		}
		if len(local) > 0 && (local[0] == "python" || local[0] == "python3") {
			local = local[1:]
		}
		return &command{mode: "local", argv: append([]string{py}, local...), env: []string{"PYTHONDONTWRITEBYTECODE=1"}}, nil
	case "r":
		rs, err := interpreter([]string{"Rscript"}, a, "R (Rscript)")
		if err != nil {
			return nil, err
		}
		return &command{mode: "local", argv: append([]string{rs}, local...)}, nil
	case "jupyter":
		jp, err := interpreter([]string{"jupyter"}, a, "Jupyter (jupyter)")
		if err != nil {
			return nil, err
		}
		if len(local) > 0 && local[0] == "jupyter" {
			local = local[1:]
		}
		return &command{mode: "local", argv: append([]string{jp}, local...)}, nil
	case "ehrql":
		return ehrqlCommand(a, local, ws)
	case "sqlrunner":
		if job, err := parseEhrQLJob(a, local, ws); err == nil && job.DummyDataFile != "" && job.Output != "" {
			return dummyCopyCommand(job), nil
		}
		return nil, &CannotRunError{Action: a.ID, Reason: "sqlrunner queries the OpenSAFELY database, which does not exist on this machine. " +
			"Add `--dummy-data-file <csv>` to its run line so osls can copy that file to `--output`, or run with --docker"}
	case "stata-mp":
		return nil, &CannotRunError{Action: a.ID, Reason: "Stata cannot run without its OpenSAFELY image and a Stata licence. " +
			"Run with --docker (needs a Docker engine and STATA_LICENSE set), or with `opensafely run " + a.ID + "`"}
	case "cohortextractor", "databuilder":
		return nil, &CannotRunError{Action: a.ID, Reason: img.Name + " is a retired tool that osls cannot run; migrate the action to ehrQL (ehrql:v1), or run it with --docker"}
	}
	return nil, &CannotRunError{Action: a.ID, Reason: img.Name + " actions cannot run without Docker yet; run with --docker"}
}

// childEnv is the environment of a local job: the user's, without database settings, plus
// OPENSAFELY_BACKEND=expectations as opensafely-cli sets it.
func childEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "DATABASE_URL" || k == "OPENSAFELY_BACKEND" || k == "EHRQL_PERMISSIONS" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "OPENSAFELY_BACKEND=expectations")
	return append(env, extra...)
}
