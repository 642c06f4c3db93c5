package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opensafely-core/osls/analysis"
	"github.com/opensafely-core/osls/analysis/outputs"
)

func init() { extraCommands = append(extraCommands, newOutputsCmd) }

func newOutputsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "outputs",
		Short: "Check moderately_sensitive outputs for disclosure control before release",
	}
	cmd.AddCommand(newOutputsCheckCmd())
	return cmd
}

func newOutputsCheckCmd() *cobra.Command {
	var format, minSev, dir string
	var summary bool
	cmd := &cobra.Command{
		Use:   "check [ACTION...]",
		Short: "Check the moderately_sensitive output files of actions for disclosure control",
		Long: `Check every moderately_sensitive output of the named actions (default: all) that exists
on disk against the disclosure-control rules a program can verify: the Level 4 file rules
(file type, 16 MiB, 5000 CSV rows, no patient_id column) and the numeric rules (counts of
1 to 7 redacted, counts rounded to 5 or midpoint-6 rounded, totals equal to the sum of the
published cells, redaction markers Airlock recognises). Run it on the outputs of dummy data:
the rounding and redaction code runs there too.

Count columns are recognised by name and content; mark them (or mark columns that are not
counts) in osls.yaml beside project.yaml — see 'osls schema outputs-config':

  outputs:
    count_columns: [n_*]
    not_count_columns: [year]
    files:
      - path: output/tables/*.csv
        midpoint6_columns: [events]

--summary prints a Markdown draft of the context and controls text for the release request.

Exit status: 0 when there are no errors, 1 when errors were found, 2 for a usage or I/O
error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			min, ok := parseSeverity(minSev)
			if !ok {
				return usageErr("unknown --min-severity %q: use error, warning, information or hint", minSev)
			}
			w, ok := writers[format]
			if !ok {
				return usageErr("unknown --format %q: use text, json, github or sarif", format)
			}
			text, err := os.ReadFile(filepath.Join(dir, analysis.ProjectFile))
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return &exitError{code: exitUsage, err: fmt.Errorf("no %s in %s: run osls outputs check in the study's folder, or give it with --project-dir", analysis.ProjectFile, dir)}
				}
				return &exitError{code: exitUsage, err: err}
			}
			project := analysis.ParseProject(analysis.ProjectFile, text)
			fsys := os.DirFS(dir)
			cfg, _, err := outputs.LoadConfig(fsys)
			if err != nil {
				return &exitError{code: exitUsage, err: fmt.Errorf("%w (see 'osls schema outputs-config')", err)}
			}
			rep, err := outputs.CheckProject(fsys, project, args, cfg)
			if err != nil {
				var ue *outputs.UnknownActionError
				if errors.As(err, &ue) {
					var ids []string
					for _, a := range project.Actions {
						ids = append(ids, a.ID)
					}
					return usageErr("%v; the actions are: %s", err, strings.Join(ids, ", "))
				}
				return &exitError{code: exitUsage, err: err}
			}
			for _, d := range rep.Missing {
				fmt.Fprintf(cmd.ErrOrStderr(), "osls: no file matches %s (action %s): run the action first\n", d.Pattern, d.Action)
			}
			if len(rep.Files) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "osls: no moderately_sensitive output files to check")
			}
			ds, files, errorsFound := outputDiagnostics(rep, min)
			if summary {
				err = outputs.Summary(cmd.OutOrStdout(), project, rep, cfg)
			} else {
				err = w(cmd.OutOrStdout(), ds, files)
			}
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if errorsFound {
				return &exitError{code: exitFindings}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text, json, github or sarif")
	cmd.Flags().StringVar(&minSev, "min-severity", "information", "least severe findings to show: error, warning, information or hint")
	cmd.Flags().StringVar(&dir, "project-dir", ".", "the study's folder (the one with project.yaml)")
	cmd.Flags().BoolVar(&summary, "summary", false, "print a Markdown draft of the release-request text instead of the findings")
	return cmd
}

// outputDiagnostics converts findings to diagnostics for check.go's writers. The writers
// turn byte offsets into lines and columns through analysis.Lines; rather than read output
// files (which may be huge) again, each file gets a stand-in text with the same line
// numbering and enough characters on the lines that hold findings, so each finding lands on
// its line and byte column.
func outputDiagnostics(rep *outputs.Report, min analysis.Severity) ([]analysis.Diagnostic, map[string]*analysis.Lines, bool) {
	var ds []analysis.Diagnostic
	files := map[string]*analysis.Lines{}
	errorsFound := false
	for _, fr := range rep.Files {
		var shown []outputs.Finding
		for _, f := range fr.Findings {
			if f.Severity == analysis.SeverityError {
				errorsFound = true
			}
			if f.Severity <= min {
				shown = append(shown, f)
			}
		}
		if len(shown) == 0 {
			continue
		}
		need := map[int]int{} // line → characters needed
		maxLine := 1
		for _, f := range shown {
			if f.Line > 0 {
				need[f.Line] = max(need[f.Line], f.Col-1+f.Width)
				maxLine = max(maxLine, f.Line)
			}
		}
		var text bytes.Buffer
		starts := make([]int, maxLine+1)
		for l := 1; l <= maxLine; l++ {
			starts[l] = text.Len()
			text.Write(bytes.Repeat([]byte{' '}, need[l]))
			if l < maxLine {
				text.WriteByte('\n')
			}
		}
		files[fr.Path] = analysis.NewLines(text.Bytes())
		for _, f := range shown {
			d := analysis.Diagnostic{File: fr.Path, Severity: f.Severity, Code: f.Code, Message: f.Message}
			if f.Line > 0 {
				d.Range.Start = starts[f.Line] + f.Col - 1
				d.Range.End = d.Range.Start + f.Width
			}
			ds = append(ds, d)
		}
	}
	analysis.SortDiagnostics(ds)
	return ds, files, errorsFound
}
