package outputs

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/opensafely-core/osls/analysis"
)

// Summary writes, as Markdown, a draft of the text a researcher gives for each file of a
// release request: what the file is (from its action and output name, or the description in
// osls.yaml) and which disclosure controls it shows, separating those osls verified on the
// file from those it could not. It is a starting point: the researcher still has to describe
// the population and the variables.
func Summary(w io.Writer, project *analysis.Project, rep *Report, cfg Config) error {
	var b strings.Builder
	b.WriteString("# Release request draft\n\n")
	b.WriteString("Drafted by `osls outputs check --summary` from the files on disk. If they were made from dummy data, " +
		"the checks show that the disclosure-control code is wired to every count; run them again on the real outputs before " +
		"requesting release, and complete the context (population, variable definitions) yourself.\n")
	if len(rep.Files) == 0 {
		b.WriteString("\nNo moderately_sensitive output files were found on disk.\n")
	}
	for _, fr := range rep.Files {
		b.WriteString("\n")
		summariseFile(&b, project, fr, cfg)
	}
	if len(rep.Missing) > 0 {
		b.WriteString("\n## Not checked\n\n")
		for _, d := range rep.Missing {
			fmt.Fprintf(&b, "- `%s` (action `%s`): no file on disk matches; run the action first.\n", d.Pattern, d.Action)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func summariseFile(b *strings.Builder, project *analysis.Project, fr *FileReport, cfg Config) {
	fmt.Fprintf(b, "## %s\n\n", fr.Path)
	b.WriteString("**Context**\n\n")
	if d := cfg.forFile(fr.Path).description; d != "" {
		fmt.Fprintf(b, "%s\n\n", strings.TrimSpace(d))
	}
	if fr.Action != "" {
		what := "output"
		if fr.OutputName != "" {
			what = fmt.Sprintf("output `%s`", fr.OutputName)
		}
		run := ""
		if a := project.ActionByID(fr.Action); a != nil && a.Run != "" {
			run = fmt.Sprintf(" (`%s`)", a.Run)
		}
		fmt.Fprintf(b, "- The %s of action `%s`%s.\n", what, fr.Action, run)
	}
	switch fr.Kind {
	case KindCSV:
		var labels, counts, other []string
		for _, c := range fr.Columns {
			switch {
			case c.Count:
				counts = append(counts, "`"+c.Name+"`")
			case c.Numeric > 0 && c.Text == 0:
				other = append(other, "`"+c.Name+"`")
			default:
				labels = append(labels, "`"+c.Name+"`")
			}
		}
		fmt.Fprintf(b, "- A table of %d rows and %d columns.", fr.Rows, len(fr.Columns))
		if len(labels) > 0 {
			fmt.Fprintf(b, " Categories: %s.", strings.Join(labels, ", "))
		}
		if len(counts) > 0 {
			fmt.Fprintf(b, " Counts: %s.", strings.Join(counts, ", "))
		}
		if len(other) > 0 {
			fmt.Fprintf(b, " Other figures: %s.", strings.Join(other, ", "))
		}
		b.WriteString("\n- _Describe the population (and its size) and how each variable is defined._\n\n")
		summariseControls(b, fr)
	case KindImage:
		b.WriteString("- A figure. _Say what it shows and which released table holds the counts behind it._\n\n")
		b.WriteString("**Controls**\n\n- Not verifiable by osls: the figure must be checked by eye. The counts it is drawn from should be released alongside it, rounded and redacted.\n")
	case KindJSON, KindText:
		b.WriteString("- A text file. _Say what it contains and why a table would not do._\n\n")
		b.WriteString("**Controls**\n\n- Not verifiable by osls beyond a scan for small counts written in the text: it needs a careful manual review.\n")
	default:
		b.WriteString("\n**Controls**\n\n- None: this file type cannot be released.\n")
	}
	summariseFindings(b, fr)
}

func summariseControls(b *strings.Builder, fr *FileReport) {
	b.WriteString("**Controls**\n\n")
	groups := map[Rounding][]ColumnReport{}
	var notCount []string
	for _, c := range fr.Columns {
		if c.Count {
			groups[c.Rounding] = append(groups[c.Rounding], c)
		} else if c.Numeric > 0 {
			notCount = append(notCount, "`"+c.Name+"`")
		}
	}
	lines := 0
	for _, r := range []Rounding{RoundTo5, RoundMidpoint6, RoundMidpoint6Derived} {
		cols := groups[r]
		if len(cols) == 0 {
			continue
		}
		var ok, bad []string
		redacted := 0
		for _, c := range cols {
			redacted += c.Redacted
			if c.Verified() {
				ok = append(ok, "`"+c.Name+"`")
			} else {
				bad = append(bad, "`"+c.Name+"`")
			}
		}
		switch r {
		case RoundTo5:
			b.WriteString("- Counts of 7 or fewer are redacted and all counts are rounded to the nearest 5")
		case RoundMidpoint6:
			b.WriteString("- Counts are midpoint-6 rounded (0 stays 0; 1–6 become 3, 7–12 become 9, …), so no separate small-count redaction is needed")
		case RoundMidpoint6Derived:
			b.WriteString("- Values are derived from midpoint-6 rounded counts (multiples of 6)")
		}
		if redacted > 0 {
			fmt.Fprintf(b, "; %d cell(s) are redacted", redacted)
		}
		b.WriteString(".")
		if len(ok) > 0 {
			fmt.Fprintf(b, " Verified by osls on this file for %s.", strings.Join(ok, ", "))
		}
		if len(bad) > 0 {
			fmt.Fprintf(b, " **Not yet true** for %s (see the findings below).", strings.Join(bad, ", "))
		}
		b.WriteString("\n")
		lines++
	}
	if fr.Totals > 0 {
		if countCodes(fr, analysis.CodeSDCTotalMismatch.ID, analysis.CodeSDCTotalRecovers.ID) == 0 {
			b.WriteString("- Totals are the sums of the published (redacted, rounded) cells. Verified by osls for the total rows and columns it found.\n")
		} else {
			b.WriteString("- Totals must be the sums of the published cells: **not yet true** (see the findings below).\n")
		}
		lines++
	}
	if len(notCount) > 0 {
		fmt.Fprintf(b, "- Not verifiable by osls: %s. _State how they were computed (from the rounded counts) and give the counts behind any percentage or rate._\n", strings.Join(notCount, ", "))
		lines++
	}
	if lines == 0 {
		b.WriteString("- osls found no count columns in this file. _State the controls applied, or mark count columns in osls.yaml._\n")
	}
}

func countCodes(fr *FileReport, ids ...string) int {
	n := 0
	for _, f := range fr.Findings {
		for _, id := range ids {
			if f.Code == id {
				n++
			}
		}
	}
	return n
}

func summariseFindings(b *strings.Builder, fr *FileReport) {
	byCode := map[string]int{}
	var codes, notes []string
	for _, f := range fr.Findings {
		if byCode[f.Code] == 0 {
			if f.Severity <= analysis.SeverityWarning {
				codes = append(codes, f.Code)
			} else {
				notes = append(notes, f.Code)
			}
		}
		byCode[f.Code]++
	}
	name := func(c string) string {
		s := c
		if code, ok := analysis.LookupCode(c); ok {
			s = fmt.Sprintf("%s %s", c, code.Name)
		}
		if byCode[c] > 1 {
			s += fmt.Sprintf(" ×%d", byCode[c])
		}
		return s
	}
	sort.Strings(codes)
	if len(codes) == 0 {
		b.WriteString("\nosls found no disclosure-control problems in this file.\n")
	} else {
		parts := make([]string, len(codes))
		for i, c := range codes {
			parts[i] = name(c)
		}
		fmt.Fprintf(b, "\n**Fix before requesting release**: %d error(s), %d warning(s) — %s.\n", fr.Errors(), fr.Warnings(), strings.Join(parts, ", "))
	}
	for _, c := range notes {
		for _, f := range fr.Findings {
			if f.Code == c {
				fmt.Fprintf(b, "\nNote (%s): %s\n", name(c), f.Message)
				break
			}
		}
	}
}
