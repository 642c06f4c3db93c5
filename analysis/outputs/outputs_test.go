package outputs

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/opensafely-core/osls/analysis"
)

// got formats findings as "CODE row column" for comparison, sorted.
func got(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		s := f.Code
		if f.Row > 0 {
			s += fmt.Sprintf(" r%d", f.Row)
		}
		if f.Column != "" {
			s += " " + f.Column
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func check(name, text string, cfg Config) []Finding {
	return CheckFile(name, strings.NewReader(text), int64(len(text)), cfg)
}

// TestRules has, for every rule, tables that break it and tables that pass.
func TestRules(t *testing.T) {
	m6 := Config{ColumnRules: ColumnRules{Midpoint6Columns: []string{"events"}}}
	notCount := Config{ColumnRules: ColumnRules{NotCountColumns: []string{"score"}}}
	isCount := Config{ColumnRules: ColumnRules{CountColumns: []string{"x*"}}}
	ignore := Config{Files: []FileConfig{{Path: "output/*.csv", Ignore: []string{"SDC011"}}}}
	tests := []struct {
		name string
		file string
		text string
		cfg  Config
		want []string
	}{
		// SDC001 file type, SDC002 hidden files.
		{"type bad", "output/t.pdf", "x", Config{}, []string{"SDC001"}},
		{"type upper case", "output/t.CSV", "n\n5\n", Config{}, []string{"SDC001"}},
		{"type gz", "output/t.csv.gz", "", Config{}, []string{"SDC001"}},
		{"type ok", "output/t.csv", "n\n10\n", Config{}, nil},
		{"hidden", "output/.t.csv", "n\n10\n", Config{}, []string{"SDC002"}},
		// SDC004 rows.
		{"rows over", "t.csv", "n\n" + strings.Repeat("10\n", MaxCSVRows+1), Config{}, []string{"SDC004 r5001"}},
		{"rows at limit", "t.csv", "n\n" + strings.Repeat("10\n", MaxCSVRows), Config{}, nil},
		// SDC005 patient_id.
		{"patient_id", "t.csv", "patient_id,age\n1,20\n", Config{}, []string{"SDC005 patient_id"}},
		{"patient id like", "t.csv", "Patient_ID,sex\n1,F\n", Config{}, []string{"SDC005 Patient_ID"}},
		{"patient count ok", "t.csv", "patients\n10\n", Config{}, nil},
		// SDC006 encoding.
		{"latin1", "t.csv", "region,n\nK\xf6ln,10\n", Config{}, []string{"SDC006 r1 region"}},
		{"utf8 ok", "t.csv", "region,n\nKöln,10\n", Config{}, nil},
		{"utf16", "t.csv", "\xff\xfen\x00\n\x00", Config{}, []string{"SDC006"}},
		// SDC007 ragged rows.
		{"ragged", "t.csv", "a,n\nx,10\ny\nz,10,5\n", Config{}, []string{"SDC007 r2"}},
		{"not ragged", "t.csv", "a,n\nx,10\ny,15\n", Config{}, nil},
		// SDC008 unreadable.
		{"empty", "t.csv", "", Config{}, []string{"SDC008"}},
		// SDC010 small counts, by name, by content, by config.
		{"small by name", "t.csv", "group,n\na,5\nb,0\nc,10\n", Config{}, []string{"SDC010 r1 n"}},
		{"small redacted ok", "t.csv", "group,n\na,[REDACTED]\nb,0\nc,10\n", Config{}, nil},
		{"small missing ok", "t.csv", "group,n\na,\nb,NA\nc,10\n", Config{}, nil},
		{"small by content", "t.csv", "group,x\na,5\nb,20\n", Config{}, []string{"SDC010 r1 x"}},
		{"small not count by config", "t.csv", "group,score\na,5\nb,20\n", notCount, nil},
		{"small count by config", "t.csv", "group,xval\na,2\nb,1\n", isCount, []string{"SDC010 r1 xval", "SDC010 r2 xval"}},
		{"binary flag not count", "t.csv", "group,flag\na,1\nb,0\n", Config{}, nil},
		{"year not count", "t.csv", "year,n\n2020,10\n2021,15\n", Config{}, nil},
		{"age not count", "t.csv", "age,n\n3,10\n4,15\n", Config{}, nil},
		{"float not count", "t.csv", "group,mean_bmi\na,3.5\nb,2.25\n", Config{}, nil},
		{"pandas float counts", "t.csv", "group,n\na,5.0\nb,10.0\n", Config{}, []string{"SDC010 r1 n"}},
		// SDC011 rounding to 5.
		{"unrounded", "t.csv", "group,n\na,12\nb,10\n", Config{}, []string{"SDC011 r1 n"}},
		{"rounded", "t.csv", "group,n\na,15\nb,10\nc,0\n", Config{}, nil},
		{"unrounded ignored", "output/t.csv", "group,n\na,12\nb,10\n", ignore, nil},
		// SDC012 midpoint 6, by name, config and content.
		{"m6 bad", "t.csv", "group,n_midpoint6\na,10\nb,9\n", Config{}, []string{"SDC012 r1 n_midpoint6"}},
		{"m6 ok", "t.csv", "group,n_midpoint6\na,3\nb,9\nc,0\n", Config{}, nil},
		{"m6 by config", "t.csv", "group,events\na,4\nb,9\n", m6, []string{"SDC012 r1 events"}},
		{"m6 by content", "t.csv", "group,n\na,3\nb,9\nc,15\nd,21\n", Config{}, nil},
		// SDC013 midpoint 6 derived.
		{"m6 derived bad", "t.csv", "t,n_midpoint6_derived\na,7\nb,12\n", Config{}, []string{"SDC013 r1 n_midpoint6_derived"}},
		{"m6 derived ok", "t.csv", "t,n_midpoint6_derived\na,6\nb,12\n", Config{}, nil},
		// SDC014 redaction markers.
		{"marker lt8", "t.csv", "group,n\na,<8\nb,10\nc,<8\n", Config{}, []string{"SDC014 r1 n"}},
		{"marker star", "t.csv", "group,n\na,*\nb,10\n", Config{}, []string{"SDC014 r1 n"}},
		{"marker ok", "t.csv", "group,n\na,[REDACTED]\nb,10\nc,redacted\nd,<=7\ne,N/A\n", Config{}, nil},
		{"text column not count", "t.csv", "group,n\na,five\nb,10\n", Config{}, nil},
		// SDC015/SDC016 totals: rows and columns.
		{"total row ok", "t.csv", "sex,n\nF,10\nM,20\nTotal,30\n", Config{}, nil},
		{"total row mismatch", "t.csv", "sex,n\nF,10\nM,20\nTotal,35\n", Config{}, []string{"SDC015 r3 n"}},
		{"total row recovers", "t.csv", "sex,n\nF,[REDACTED]\nM,20\nTotal,25\n", Config{}, []string{"SDC016 r3 n"}},
		{"total row redacted ok", "t.csv", "sex,n\nF,[REDACTED]\nM,20\nTotal,20\n", Config{}, nil},
		{"total per variable", "t.csv", "variable,category,n\nsex,F,10\nsex,M,20\nsex,All,30\nage,0-17,10\nage,18+,15\nage,All,30\n", Config{}, []string{"SDC015 r6 n"}},
		{"total column ok", "t.csv", "group,male,female,total\na,10,20,30\nb,15,15,30\n", Config{}, nil},
		{"total column mismatch", "t.csv", "group,male,female,total\na,10,20,30\nb,15,15,35\n", Config{}, []string{"SDC015 r2 total"}},
		{"total column not a sum", "t.csv", "group,male,female,total\na,10,20,300\nb,15,15,350\n", Config{}, nil},
		// SDC017 min/max, SDC018 geography, SDC019 rates without counts.
		{"min max", "t.csv", "group,max_age\na,90\n", Config{}, []string{"SDC017 max_age"}},
		{"no min max", "t.csv", "group,mean_age\na,50.5\n", Config{}, nil},
		{"geography", "t.csv", "practice_id,n\n1,10\n", Config{}, []string{"SDC018 practice_id"}},
		{"region ok", "t.csv", "region,n\nLondon,10\n", Config{}, nil},
		{"practice count ok", "t.csv", "region,practice_count\nLondon,10\n", Config{}, nil},
		{"rate alone", "t.csv", "group,rate\na,0.5\n", Config{}, []string{"SDC019 rate"}},
		{"rate with counts", "t.csv", "group,n,rate\na,10,0.5\n", Config{}, nil},
		// SDC020-SDC023: other file types.
		{"image", "output/plot.png", "\x89PNG", Config{}, []string{"SDC020"}},
		{"log", "output/x.log", "done\n", Config{}, []string{"SDC020", "SDC021"}},
		{"text small", "output/x.txt", "We found 5 patients.\nn = 3\n", Config{}, []string{"SDC020", "SDC023", "SDC023"}},
		{"text ok", "output/x.md", "We found 15 patients in 2021; 3.5% had n = 10.\n", Config{}, []string{"SDC020"}},
		{"json small", "output/x.json", `{"sex": {"F": {"n": 5, "mean": 3}, "M": {"n": 12}}}`, Config{}, []string{"SDC010 n", "SDC011 n", "SDC020"}},
		{"json ok", "output/x.json", `{"groups": [{"n": 10, "age": 3}], "n_midpoint6": 9}`, Config{}, []string{"SDC020"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := check(tc.file, tc.text, tc.cfg)
			g := got(fs)
			want := append([]string{}, tc.want...)
			if want == nil {
				want = []string{}
			}
			sort.Strings(want)
			if strings.Join(g, "|") != strings.Join(want, "|") {
				t.Errorf("got %q, want %q", g, want)
				for _, f := range fs {
					t.Logf("  %s %s: %s", f.Code, f.Severity, f.Message)
				}
			}
			for _, f := range fs {
				if _, ok := analysis.LookupCode(f.Code); !ok {
					t.Errorf("finding with unregistered code %q", f.Code)
				}
			}
		})
	}
}

func TestSizeLimit(t *testing.T) {
	fs := CheckFile("big.png", strings.NewReader("x"), MaxFileSize+1, Config{})
	if g := got(fs); len(g) == 0 || g[0] != "SDC003" {
		t.Errorf("got %v", g)
	}
	fs = CheckFile("small.png", strings.NewReader("x"), MaxFileSize, Config{})
	for _, f := range fs {
		if f.Code == "SDC003" {
			t.Errorf("a file at the limit was reported: %v", f)
		}
	}
	// Unknown size: the bytes read are counted.
	r := &repeatReader{line: []byte("n\n"), total: MaxFileSize + 10}
	fs = CheckFile("big.txt", r, -1, Config{})
	if g := got(fs); !contains(g, "SDC003") {
		t.Errorf("unknown size: got %v", g)
	}
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

func TestSeverities(t *testing.T) {
	// A small count in a column that is a count only by content is a warning, by name an error.
	for _, tc := range []struct {
		text string
		want analysis.Severity
	}{
		{"group,n\na,5\nb,10\n", analysis.SeverityError},
		{"group,x\na,5\nb,10\n", analysis.SeverityWarning},
	} {
		fs := check("t.csv", tc.text, Config{})
		if len(fs) != 1 || fs[0].Severity != tc.want {
			t.Errorf("%q: got %v, want one finding of severity %v", tc.text, fs, tc.want)
		}
	}
}

// TestPositions checks rows, lines, columns and byte offsets in awkward files.
func TestPositions(t *testing.T) {
	tests := []struct {
		name, text             string
		row, line, col, offset int
		column                 string
	}{
		{"plain", "group,n\na,5\n", 1, 2, 3, 10, "n"},
		{"crlf", "group,n\r\na,10\r\nb,5\r\n", 2, 3, 3, 17, "n"},
		{"bom", "\xef\xbb\xbfgroup,n\na,5\n", 1, 2, 3, 13, "n"},
		{"quoted newline", "label,n\n\"two\nlines\",5\n", 1, 3, 8, 20, "n"},
		{"quoted comma", "label,n\n\"a, \"\"b\"\"\",4\n", 1, 2, 12, 19, "n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := check("t.csv", tc.text, Config{})
			if len(fs) != 1 {
				t.Fatalf("got %d findings: %v", len(fs), fs)
			}
			f := fs[0]
			if f.Row != tc.row || f.Line != tc.line || f.Col != tc.col || int(f.Offset) != tc.offset || f.Column != tc.column {
				t.Errorf("got row %d line %d col %d offset %d column %q, want %d %d %d %d %q",
					f.Row, f.Line, f.Col, f.Offset, f.Column, tc.row, tc.line, tc.col, tc.offset, tc.column)
			}
			if got := tc.text[f.Offset : f.Offset+int64(f.Width)]; strings.Trim(got, "\"") != strings.Trim(strings.Fields(f.Message)[3], "\"") && !strings.Contains(f.Message, got) {
				t.Errorf("offset points at %q, message %q", got, f.Message)
			}
		})
	}
}

func TestLatin1HeaderNames(t *testing.T) {
	fs := check("t.csv", "r\xe9gion,n\nx,5\n", Config{})
	var names []string
	for _, f := range fs {
		names = append(names, f.Column)
	}
	if !contains(names, "région") {
		t.Errorf("header not decoded as Latin-1: %q", names)
	}
}

func TestCapsPerColumn(t *testing.T) {
	text := "group,n\n" + strings.Repeat("a,4\n", 50)
	fs := check("t.csv", text, Config{})
	if len(fs) != maxPerColumnRule {
		t.Fatalf("got %d findings, want %d", len(fs), maxPerColumnRule)
	}
	if !strings.Contains(fs[len(fs)-1].Message, "45 more") {
		t.Errorf("last message does not count the rest: %s", fs[len(fs)-1].Message)
	}
}

func TestConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`
other_feature: {x: 1}
outputs:
  count_columns: [n_*]
  not_count_columns: [score]
  files:
    - path: output/tables/*.csv
      midpoint6_columns: [events]
      ignore: [sdc011]
      description: Table 1
`))
	if err != nil {
		t.Fatal(err)
	}
	fr := c.forFile("output/tables/t1.csv")
	if d, count, r := fr.column("Events"); !d || !count || r != RoundMidpoint6 {
		t.Errorf("events: %v %v %v", d, count, r)
	}
	if d, count, _ := fr.column("N_X"); !d || !count {
		t.Errorf("n_x: %v %v", d, count)
	}
	if d, count, _ := fr.column("score"); !d || count {
		t.Errorf("score: %v %v", d, count)
	}
	if !fr.ignore["SDC011"] || fr.description != "Table 1" {
		t.Errorf("file settings not applied: %+v", fr)
	}
	if fr := c.forFile("output/other.csv"); fr.ignore["SDC011"] {
		t.Errorf("file settings applied to another file")
	}
	for _, bad := range []string{"outputs: {count_column: [n]}", "outputs: {files: [{count_columns: [n]}]}", "outputs: [1"} {
		if _, err := ParseConfig([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if c, err := ParseConfig([]byte("other: 1\n")); err != nil || len(c.Files) != 0 {
		t.Errorf("no outputs section: %v %v", c, err)
	}
}

func TestConfigJSONSchema(t *testing.T) {
	b, err := ConfigJSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"outputs"`, `"count_columns"`, `"not_count_columns"`, `"midpoint6_columns"`, `"files"`, `"ignore"`, `"path"`, ConfigSchemaID} {
		if !strings.Contains(s, want) {
			t.Errorf("schema lacks %s", want)
		}
	}
}

func TestNameJudgement(t *testing.T) {
	for name, want := range map[string]nameVerdict{
		"n": nameCount, "count": nameCount, "n_patients": nameCount, "total_deaths": nameCount, "numerator": nameCount,
		"denominator": nameCount, "events": nameCount, "n_2020": nameCount, "Number of patients": nameCount,
		"pct_patients": nameStatistic, "rate": nameStatistic, "mean_age": nameStatistic, "ratio": nameStatistic,
		"age_band": nameLabel, "year": nameLabel, "practice_code": nameLabel, "sex": nameLabel,
		"value": nameUnknown, "x": nameUnknown,
	} {
		if got := judgeName(name); got != want {
			t.Errorf("judgeName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestOddQuoting(t *testing.T) {
	for _, text := range []string{
		"label,n\na \"quoted\" word,5\n", // bare quotes inside a field
		"label,n\n\"unterminated,5\n",    // a quote that never closes
		"label,n\n\"a\"\"b\",5\r\n",      // doubled quotes
		"\"label\",\"n\"\n\"x\",\"5\"\n", // every field quoted
		"label,n\r\nx,5",                 // no final newline
		"label,n\n\n\nx,5\n",             // blank lines
	} {
		fs := check("t.csv", text, Config{})
		for _, f := range fs {
			if f.Offset < 0 || f.Offset > int64(len(text)) || f.Offset+int64(f.Width) > int64(len(text)) {
				t.Errorf("%q: finding outside the file: %+v", text, f)
			}
		}
		t.Logf("%q: %v", text, got(fs))
	}
	// Quoted values are read as their contents.
	if g := got(check("t.csv", "\"label\",\"n\"\n\"x\",\"5\"\n", Config{})); len(g) != 1 || g[0] != "SDC010 r1 n" {
		t.Errorf("quoted fields: %v", g)
	}
}

// FuzzCheckFile checks that no input makes the checks panic or report a position outside
// the file.
func FuzzCheckFile(f *testing.F) {
	for _, s := range []string{"group,n\na,5\n", "sex,n\nF,[REDACTED]\nM,20\nTotal,25\n", "\xef\xbb\xbfa,b\r\n\"x\ny\",3\n", "r\xe9gion,n\n", `{"n": 5}`} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, text string, asCSV bool) {
		name := "t.json"
		if asCSV {
			name = "t.csv"
		}
		for _, fd := range check(name, text, Config{}) {
			if fd.Offset < 0 || fd.Offset+int64(fd.Width) > int64(len(text)) {
				t.Fatalf("finding outside the file: %+v", fd)
			}
		}
	})
}
