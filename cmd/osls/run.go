package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/opensafely-core/osls/runner"
)

func init() { extraCommands = append(extraCommands, newRunCmd) }

func newRunCmd() *cobra.Command {
	var o runner.Options
	cmd := &cobra.Command{
		Use:   "run ACTION... | run_all",
		Short: "Run actions of the study on this machine, with dummy data",
		Long: `Run the named actions of project.yaml, and the actions they need, on this machine with
dummy data — without Docker. run_all runs every action. Needs that already ran successfully
are skipped unless their code, their inputs or their run line changed, or their outputs are
missing; osls says why each action runs or is skipped. -f re-runs every need.

Each action runs in a fresh copy of the study that holds only the outputs of its needs. Its
declared outputs are checked and copied back; moderately_sensitive files get the level 4
rules and the disclosure-control checks of osls outputs check (settings from osls.yaml),
listed after the run (at most 10 per action; the log has them all). Its log goes to
metadata/<action>.log and a record of the run, findings included, to
metadata/<action>.run.json.

python:* actions run with python3, r:* with Rscript, jupyter:* with jupyter, ehrql:* with
osls's dummy-data engine (or by copying a --dummy-data-file named in the run line). Other
images need --docker, which runs every action in its OpenSAFELY image as opensafely run does.

Exit status: 0 when every action succeeded (or nothing needed running), 1 when an action
failed or the run was cancelled, 2 for a usage error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("At least one action must be supplied (or run_all)")
			}
			o.Actions = args
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runActions(ctx, cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.ForceRunDependencies, "force-run-dependencies", "f", false, "re-run the needs of the named actions even when up to date")
	f.BoolVar(&o.ContinueOnError, "continue-on-error", false, "keep running independent actions after a failure")
	f.BoolVar(&o.DryRun, "dry-run", false, "show the plan and the commands, run nothing")
	f.BoolVar(&o.Docker, "docker", false, "run each action in its OpenSAFELY Docker image")
	f.StringVar(&o.Dir, "project-dir", ".", "the study folder (holding project.yaml)")
	f.BoolVar(&o.NoNeeds, "no-needs", false, "run only the named actions, with the outputs their needs already have")
	return cmd
}

func runActions(ctx context.Context, out io.Writer, o runner.Options) error {
	o.Log = out
	planned := false
	o.Progress = func(e runner.Event) {
		if !planned {
			fmt.Fprintln(out, "=> Plan")
			planned = true
		}
		printEvent(out, e, o.DryRun)
	}
	res, err := runner.Run(ctx, o)
	if err != nil {
		var ue *runner.UnknownActionError
		var pe *runner.ProjectError
		switch {
		case errors.As(err, &ue):
			return &exitError{code: exitUsage, err: err}
		case errors.As(err, &pe):
			return &exitError{code: exitFindings, err: err}
		case strings.HasPrefix(err.Error(), "Docker is not available"):
			return &exitError{code: exitFindings, err: err}
		}
		return &exitError{code: exitUsage, err: err}
	}
	if len(res.Plan.ToRun()) == 0 {
		fmt.Fprintln(out, "=> All actions already completed successfully")
		fmt.Fprintln(out, "   Use -f option to force everything to re-run")
		return nil
	}
	if o.DryRun {
		return nil
	}
	fmt.Fprintln(out)
	var failed []*runner.JobResult
	for _, j := range res.Jobs {
		if j.Status == runner.StatusSkipped {
			continue
		}
		if j.Failed() {
			failed = append(failed, j)
			continue
		}
		printSummary(out, j)
	}
	for _, j := range failed {
		printSummary(out, j)
	}
	if ctx.Err() != nil {
		return &exitError{code: exitFindings, err: errors.New("cancelled")}
	}
	if !res.OK() {
		return &exitError{code: exitFindings}
	}
	return nil
}

func printEvent(out io.Writer, e runner.Event, dry bool) {
	switch e.Kind {
	case runner.EventPlanned:
		verb := "run "
		if e.Reason != "" && strings.HasPrefix(e.Reason, "up to date") {
			verb = "skip"
		}
		fmt.Fprintf(out, "   %s %s: %s\n", verb, e.Action, e.Reason)
	case runner.EventStarted:
		fmt.Fprintf(out, "\n=> Running %s [%d/%d]", e.Action, e.Index, e.Total)
		if e.Argv != nil {
			fmt.Fprintf(out, ": %s", displayArgv(e.Argv))
		}
		fmt.Fprintln(out)
	case runner.EventFinished:
		if dry && e.Result != nil {
			if e.Result.Argv != nil {
				fmt.Fprintf(out, "   %s would run: %s\n", e.Action, displayArgv(e.Result.Argv))
			} else {
				fmt.Fprintf(out, "   %s: %s\n", e.Action, e.Result.Message)
			}
		}
	}
}

// displayArgv shows an argv for reading; it is never given to a shell.
func displayArgv(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`*?;&|<>(){}") {
			a = strconv.Quote(a)
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}

func printSummary(out io.Writer, j *runner.JobResult) {
	fmt.Fprintf(out, "=> %s\n", j.Action)
	for _, line := range strings.Split(j.Message, "\n") {
		fmt.Fprintf(out, "   %s\n", line)
	}
	if j.LogPath != "" {
		fmt.Fprintf(out, "   log file: %s\n", j.LogPath)
	}
	if len(j.Outputs) > 0 {
		fmt.Fprintln(out, "   outputs:")
		for _, o := range j.Outputs {
			fmt.Fprintf(out, "     %s  - %s\n", o.Path, o.Level)
		}
	}
	var l4, sdc, other []runner.Finding
	for _, f := range j.Findings {
		switch {
		case f.Kind == runner.FindingLevel4:
			l4 = append(l4, f)
		case f.Kind == runner.FindingDisclosure:
			sdc = append(sdc, f)
		case f.Kind != runner.FindingUnmatched:
			other = append(other, f)
		}
	}
	if len(l4) > 0 {
		fmt.Fprintln(out, "   invalid moderately_sensitive outputs:")
		for _, f := range l4 {
			fmt.Fprintf(out, "     %s  - %s\n", f.Path, f.Message)
		}
	}
	if len(sdc) > 0 {
		fmt.Fprintf(out, "   disclosure control (osls outputs check %s):\n", j.Action)
		for i, f := range sdc {
			if i == maxShownFindings && len(sdc) > maxShownFindings+1 {
				fmt.Fprintf(out, "     and %d more (all in %s)\n", len(sdc)-i, j.LogPath)
				break
			}
			fmt.Fprintf(out, "     %s\n", f.Summary())
		}
	}
	for _, f := range other {
		fmt.Fprintf(out, "   %s: %s\n", f.Severity, f.Message)
	}
}

// maxShownFindings bounds the disclosure-control findings listed per action in the summary.
const maxShownFindings = 10
