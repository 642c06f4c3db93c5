package runner

import "sort"

// closest returns up to n candidates nearest to s by edit distance, nearest first. For
// action names only close matches count; for files any candidate may be meant.
func closest(s string, candidates []string, n int) []string {
	type scored struct {
		c string
		d int
	}
	var xs []scored
	for _, c := range candidates {
		xs = append(xs, scored{c, editDistance(s, c)})
	}
	sort.SliceStable(xs, func(i, j int) bool { return xs[i].d < xs[j].d })
	var out []string
	for _, x := range xs {
		if len(out) == n {
			break
		}
		out = append(out, x.c)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, by bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
