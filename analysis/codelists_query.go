package analysis

import (
	"fmt"
	"strings"
)

// Editor queries on codelists: what to show when hovering a line of codelists.txt or a
// codelist_from_csv path, and where the typed id of a codelists.txt line is.

// CodelistInfo is what a hover says about a codelist CSV.
type CodelistInfo struct {
	Name string // the codelist's name on OpenCodelists, "" when unknown
	Base string // the OpenCodelists server, for the version's URL
}

// DescribeCodelist renders, as markdown, what the study knows about the CSV at csvPath: the
// codelists.txt line that downloads it, its name and version, whether it is downloaded,
// its number of codes and columns, and the version's page on OpenCodelists.
func DescribeCodelist(snap Snapshot, csvPath string, info CodelistInfo) string {
	st := CodelistForPath(snap, csvPath)
	var b strings.Builder
	title := st.Path
	if info.Name != "" {
		title = info.Name
	}
	fmt.Fprintf(&b, "**%s**", title)
	if st.Listed {
		fmt.Fprintf(&b, " — `%s`, version `%s`", st.Line.Codelist, st.Line.Version)
	}
	b.WriteString("\n\n")
	if data, err := snap.ReadFile(st.Path); err == nil {
		if csv, err := DescribeCSV(data); err == nil {
			fmt.Fprintf(&b, "%d codes; columns: %s\n\n", csv.Rows, "`"+strings.Join(csv.Columns, "`, `")+"`")
		} else {
			fmt.Fprintf(&b, "%s cannot be read: %v\n\n", st.Path, err)
		}
	}
	switch {
	case !st.InCodelists:
		fmt.Fprintf(&b, "A local codelist (%s is not managed by OpenCodelists).\n", st.Path)
	case !st.Listed:
		fmt.Fprintf(&b, "Not listed in %s.\n", CodelistsFile)
	case st.Downloaded:
		fmt.Fprintf(&b, "Downloaded to `%s`", st.Path)
		if st.Entry.DownloadedAt != "" {
			fmt.Fprintf(&b, " at %s", st.Entry.DownloadedAt)
		}
		b.WriteString(".\n")
	case st.Exists:
		fmt.Fprintf(&b, "`%s` is not the version codelists.txt lists: run `osls codelists update`.\n", st.Path)
	default:
		b.WriteString("Not downloaded yet: run `osls codelists update`.\n")
	}
	if st.Listed && info.Base != "" {
		u := st.Line.VersionURL(info.Base)
		fmt.Fprintf(&b, "\n[%s](%s)\n", u, u)
	}
	return b.String()
}

// CodelistTyped returns the text typed on a codelists.txt line before off, and the range a
// completion of the line replaces (from the first non-blank character to the end of the
// line's text). ok is false on a comment line.
func CodelistTyped(text []byte, off int) (typed string, replace Range, ok bool) {
	if off < 0 || off > len(text) {
		return "", Range{}, false
	}
	start := off
	for start > 0 && text[start-1] != '\n' && text[start-1] != '\r' {
		start--
	}
	end := off
	for end < len(text) && text[end] != '\n' && text[end] != '\r' {
		end++
	}
	for start < off && (text[start] == ' ' || text[start] == '\t') {
		start++
	}
	for end > off && (text[end-1] == ' ' || text[end-1] == '\t') {
		end--
	}
	typed = string(text[start:off])
	if strings.HasPrefix(typed, "#") {
		return "", Range{}, false
	}
	return typed, Range{start, end}, true
}
