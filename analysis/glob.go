package analysis

import "strings"

// MatchOutput reports whether name matches an output pattern the way the job runner matches
// them: `*` stands for any run of characters except `/`; everything else is literal.
func MatchOutput(pattern, name string) bool {
	// Cheap rejection on the literal text before the first and after the last star: most
	// pairs in a big project differ there.
	first := strings.IndexByte(pattern, '*')
	if first < 0 {
		return pattern == name
	}
	last := strings.LastIndexByte(pattern, '*')
	if !strings.HasPrefix(name, pattern[:first]) || !strings.HasSuffix(name, pattern[last+1:]) || len(name) < first+len(pattern)-last-1 {
		return false
	}
	tail := len(pattern) - last - 1
	return matchMiddle(pattern[first:last+1], name[first:len(name)-tail])
}

// matchMiddle matches a pattern that starts and ends with `*` (stars not crossing `/`):
// each literal part between stars is found at its leftmost place, which is optimal, and no
// gap a star covers may hold a `/`.
func matchMiddle(p, s string) bool {
	pos := 0
	for len(p) > 0 {
		p = p[1:] // the star
		j := strings.IndexByte(p, '*')
		if j < 0 {
			// Only the final star is left: it covers the rest.
			return strings.IndexByte(s[pos:], '/') < 0
		}
		part := p[:j]
		p = p[j:]
		if part == "" {
			continue
		}
		k := strings.Index(s[pos:], part)
		if k < 0 || strings.IndexByte(s[pos:pos+k], '/') >= 0 {
			return false
		}
		pos += k + len(part)
	}
	return pos == len(s)
}

// matchStar matches a pattern whose only wildcard is `*`. When span is true a `*` may also
// cross `/` (ehrQL's directory outputs use that rule).
func matchStar(p, s string, span bool) bool {
	// Classic iterative wildcard matching with backtracking to the last star.
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && p[pi] == s[si]:
			pi++
			si++
		case star >= 0 && (span || s[mark] != '/'):
			mark++
			si = mark
			pi = star + 1
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// PatternsOverlap reports whether some file name matches both output patterns (`*` never
// crossing `/`).
func PatternsOverlap(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		if !segmentsOverlap(as[i], bs[i]) {
			return false
		}
	}
	return true
}

// segmentsOverlap decides whether two star patterns over one path segment share a match.
func segmentsOverlap(a, b string) bool {
	if !strings.Contains(a, "*") {
		return matchStar(b, a, false)
	}
	if !strings.Contains(b, "*") {
		return matchStar(a, b, false)
	}
	// Both have stars: dynamic programming over (i, j) positions.
	memo := make(map[[2]int]bool)
	seen := make(map[[2]int]bool)
	var rec func(i, j int) bool
	rec = func(i, j int) bool {
		k := [2]int{i, j}
		if seen[k] {
			return memo[k]
		}
		seen[k] = true
		var r bool
		switch {
		case i == len(a) && j == len(b):
			r = true
		case i < len(a) && a[i] == '*':
			r = rec(i+1, j) || (j < len(b) && rec(i, j+1))
		case j < len(b) && b[j] == '*':
			r = rec(i, j+1) || (i < len(a) && rec(i+1, j))
		case i < len(a) && j < len(b) && a[i] == b[j]:
			r = rec(i+1, j+1)
		}
		memo[k] = r
		return r
	}
	return rec(0, 0)
}
