package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"strings"

	"github.com/spf13/cobra"

	"github.com/opensafely-core/osls/analysis"
)

func newCheckCmd() *cobra.Command {
	var format, minSev string
	cmd := &cobra.Command{
		Use:   "check [DIR]",
		Short: "Check a study and report every problem found",
		Long: `Check the study in DIR (default: the current directory): its project.yaml, against every
rule of OpenSAFELY's pipeline and osls's own. All problems are reported at once, each with
its position and a stable code.

Output formats: text (path:line:col: severity code: message), json, github (workflow
commands that annotate a pull request) and sarif (for code scanning).

Exit status: 0 when there are no errors (warnings are allowed), 1 when errors were found,
2 for a usage or I/O error.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			min, ok := parseSeverity(minSev)
			if !ok {
				return usageErr("unknown --min-severity %q: use error, warning, information or hint", minSev)
			}
			w, ok := writers[format]
			if !ok {
				return usageErr("unknown --format %q: use text, json, github or sarif", format)
			}
			st, err := os.Stat(dir)
			if err != nil {
				return &exitError{code: exitUsage, err: fmt.Errorf("cannot read the study folder: %w", err)}
			}
			if !st.IsDir() {
				if filepath.Base(dir) == analysis.ProjectFile {
					dir = filepath.Dir(dir)
				} else {
					return usageErr("%s is not a folder: give the study's folder (the one with project.yaml)", dir)
				}
			}
			snap := analysis.NewFSSnapshot(os.DirFS(dir))
			ds, err := analysis.CheckStudy(snap)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return &exitError{code: exitUsage, err: fmt.Errorf("no %s in %s: run osls check in the study's folder, or give its path", analysis.ProjectFile, dir)}
				}
				return &exitError{code: exitUsage, err: fmt.Errorf("reading %s: %w", filepath.Join(dir, analysis.ProjectFile), err)}
			}
			var shown []analysis.Diagnostic
			errorsFound := false
			for _, d := range ds {
				if d.Severity == analysis.SeverityError {
					errorsFound = true
				}
				if d.Severity <= min {
					shown = append(shown, d)
				}
			}
			files := map[string]*analysis.Lines{}
			for _, d := range shown {
				if _, ok := files[d.File]; !ok {
					text, err := snap.ReadFile(d.File)
					if err != nil {
						return &exitError{code: exitUsage, err: err}
					}
					files[d.File] = analysis.NewLines(text)
				}
			}
			if err := w(cmd.OutOrStdout(), shown, files); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if errorsFound {
				return &exitError{code: exitFindings}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text, json, github or sarif")
	cmd.Flags().StringVar(&minSev, "min-severity", "information", "least severe diagnostics to show: error, warning, information or hint")
	return cmd
}

func parseSeverity(s string) (analysis.Severity, bool) {
	for _, sev := range []analysis.Severity{analysis.SeverityError, analysis.SeverityWarning, analysis.SeverityInformation, analysis.SeverityHint} {
		if s == sev.String() {
			return sev, true
		}
	}
	return 0, false
}

// position is a 1-based line and character column.
type position struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

type span struct {
	Start position `json:"start"`
	End   position `json:"end"`
}

func spanOf(l *analysis.Lines, r analysis.Range) span {
	sl, sc := l.CharPos(r.Start)
	el, ec := l.CharPos(r.End)
	return span{position{sl + 1, sc + 1}, position{el + 1, ec + 1}}
}

type writer func(io.Writer, []analysis.Diagnostic, map[string]*analysis.Lines) error

var writers = map[string]writer{
	"text":   writeText,
	"json":   writeJSON,
	"github": writeGitHub,
	"sarif":  writeSARIF,
}

func writeText(w io.Writer, ds []analysis.Diagnostic, files map[string]*analysis.Lines) error {
	for _, d := range ds {
		s := spanOf(files[d.File], d.Range)
		if _, err := fmt.Fprintf(w, "%s:%d:%d: %s %s: %s\n", d.File, s.Start.Line, s.Start.Column, d.Severity, d.Code, d.Message); err != nil {
			return err
		}
	}
	return nil
}

type jsonDiag struct {
	File     string `json:"file"`
	Range    span   `json:"range"`
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

func writeJSON(w io.Writer, ds []analysis.Diagnostic, files map[string]*analysis.Lines) error {
	out := struct {
		Diagnostics []jsonDiag `json:"diagnostics"`
	}{Diagnostics: []jsonDiag{}}
	for _, d := range ds {
		out.Diagnostics = append(out.Diagnostics, jsonDiag{d.File, spanOf(files[d.File], d.Range), d.Severity.String(), d.Code, d.Message})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// GitHub workflow commands escape data and property values differently.
var (
	ghData     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	ghProperty = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func writeGitHub(w io.Writer, ds []analysis.Diagnostic, files map[string]*analysis.Lines) error {
	for _, d := range ds {
		s := spanOf(files[d.File], d.Range)
		level := "error"
		switch d.Severity {
		case analysis.SeverityWarning:
			level = "warning"
		case analysis.SeverityInformation, analysis.SeverityHint:
			level = "notice"
		}
		if _, err := fmt.Fprintf(w, "::%s file=%s,line=%d,col=%d,endLine=%d,endColumn=%d,title=%s::%s\n", level,
			ghProperty.Replace(d.File), s.Start.Line, s.Start.Column, s.End.Line, s.End.Column,
			ghProperty.Replace("osls "+d.Code), ghData.Replace(d.Message)); err != nil {
			return err
		}
	}
	return nil
}

func writeSARIF(w io.Writer, ds []analysis.Diagnostic, files map[string]*analysis.Lines) error {
	type msg struct {
		Text string `json:"text"`
	}
	type rule struct {
		ID               string `json:"id"`
		Name             string `json:"name"`
		ShortDescription msg    `json:"shortDescription"`
		DefaultConfig    struct {
			Level string `json:"level"`
		} `json:"defaultConfiguration"`
	}
	type region struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn"`
		EndLine     int `json:"endLine"`
		EndColumn   int `json:"endColumn"`
	}
	type location struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region region `json:"region"`
		} `json:"physicalLocation"`
	}
	type result struct {
		RuleID    string     `json:"ruleId"`
		RuleIndex int        `json:"ruleIndex"`
		Level     string     `json:"level"`
		Message   msg        `json:"message"`
		Locations []location `json:"locations"`
	}
	level := func(s analysis.Severity) string {
		switch s {
		case analysis.SeverityError:
			return "error"
		case analysis.SeverityWarning:
			return "warning"
		}
		return "note"
	}
	var rules []rule
	ruleIndex := map[string]int{}
	used := map[string]bool{}
	for _, d := range ds {
		used[d.Code] = true
	}
	for _, c := range analysis.Codes {
		if !used[c.ID] {
			continue
		}
		r := rule{ID: c.ID, Name: c.Name, ShortDescription: msg{c.Summary}}
		r.DefaultConfig.Level = level(c.Severity)
		ruleIndex[c.ID] = len(rules)
		rules = append(rules, r)
	}
	results := []result{}
	for _, d := range ds {
		s := spanOf(files[d.File], d.Range)
		var loc location
		loc.PhysicalLocation.ArtifactLocation.URI = d.File
		loc.PhysicalLocation.Region = region{s.Start.Line, s.Start.Column, s.End.Line, s.End.Column}
		results = append(results, result{RuleID: d.Code, RuleIndex: ruleIndex[d.Code], Level: level(d.Severity), Message: msg{d.Message}, Locations: []location{loc}})
	}
	doc := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool": map[string]any{"driver": map[string]any{
				"name":           "osls",
				"version":        osslsVersion(),
				"informationUri": "https://github.com/opensafely-core/osls",
				"rules":          rules,
			}},
			"columnKind": "unicodeCodePoints",
			"results":    results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
