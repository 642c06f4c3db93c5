package analysis

import (
	"regexp"
	"testing"
)

func TestMatchOutput(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"output/*.csv", "output/a.csv", true},
		{"output/*.csv", "output/sub/a.csv", false},
		{"output/*.csv", "output/.csv", true},
		{"output/a_*_*.png", "output/a_b_c.png", true},
		{"output/a_*_*.png", "output/a_b.png", false},
		{"output/x.csv", "output/x.csv", true},
		{"output/x.csv", "output/y.csv", false},
		{"*", "a", true},
		{"*", "a/b", false},
		{"a*a", "a", false},
		{"a*a", "aa", true},
		{"output/*/x.csv", "output/y/x.csv", true},
	}
	for _, c := range cases {
		if got := MatchOutput(c.p, c.s); got != c.want {
			t.Errorf("MatchOutput(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

func TestPatternsOverlap(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"output/*.csv", "output/a.csv", true},
		{"output/*.csv", "output/*.png", false},
		{"output/a_*.csv", "output/*_b.csv", true},
		{"output/*.csv", "output/sub/*.csv", false},
		{"output/x*y.csv", "output/z*.csv", false},
		{"output/in*.feather", "output/input_*.feather", true},
	}
	for _, c := range cases {
		if got := PatternsOverlap(c.a, c.b); got != c.want {
			t.Errorf("PatternsOverlap(%q, %q) = %v", c.a, c.b, got)
		}
		if got := PatternsOverlap(c.b, c.a); got != c.want {
			t.Errorf("PatternsOverlap(%q, %q) = %v (swapped)", c.b, c.a, got)
		}
	}
}

func TestSplitShell(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  error
	}{
		{"a b  c", []string{"a", "b", "c"}, nil},
		{`a "b c" 'd e'`, []string{"a", "b c", "d e"}, nil},
		{`a\ b`, []string{"a b"}, nil},
		{`"a\"b"`, []string{`a"b`}, nil},
		{`"a\nb"`, []string{`a\nb`}, nil},
		{`'a\b'`, []string{`a\b`}, nil},
		{`x > out.txt`, []string{"x", ">", "out.txt"}, nil},
		{`''`, []string{""}, nil},
		{"a\n  b", []string{"a", "b"}, nil},
		{`"a`, nil, ErrUnclosedQuote},
		{`a\`, nil, ErrTrailingEscape},
	}
	for _, c := range cases {
		ws, err := SplitShell(c.in)
		if err != c.err {
			t.Errorf("SplitShell(%q) error %v, want %v", c.in, err, c.err)
			continue
		}
		if err != nil {
			continue
		}
		var got []string
		for _, w := range ws {
			got = append(got, w.Text)
		}
		if len(got) != len(c.want) {
			t.Errorf("SplitShell(%q) = %q, want %q", c.in, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("SplitShell(%q) = %q, want %q", c.in, got, c.want)
			}
		}
	}
}

func TestValidTagMatchesPipelineRegexp(t *testing.T) {
	re := regexp.MustCompile(`^(v[0-9.]+(-pre)?|dev|latest)$`)
	for _, tag := range []string{"v1", "v2", "v1.2", "v0.0.37", "v1-pre", "v1.2-pre", "dev", "latest", "v.", "v1..2", "", "v", "V2", "stable", "v1x1", "pre", "v2:slim", "-pre", "v-pre", "v1-pre-pre", "latest-pre", "dev-pre"} {
		if got, want := validTag(tag), re.MatchString(tag); got != want {
			t.Errorf("validTag(%q) = %v, regexp says %v", tag, got, want)
		}
	}
}
