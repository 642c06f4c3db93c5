package generate

import (
	"math/rand/v2"
	"regexp/syntax"
	"sort"
	"strconv"

	"github.com/opensafely-core/osls/analysis/qm"
	"github.com/opensafely-core/osls/dummy/engine"
	"github.com/opensafely-core/osls/schema"
)

// colSpec is what the generator knows about one used column: its type, its constraints
// (real and dummy-only), and the literals the definition compares it with.
type colSpec struct {
	table, col   int
	name         string
	typ          qm.Type
	notNull      bool
	nullOnly     bool // dummy-only Categorical(None): always NULL
	cats         []engine.Val
	min, max     *engine.Val
	step         int64
	firstOfMonth bool
	regex        *syntax.Regexp
	dateAfter    []int
	lits         []engine.Val
	litSeen      map[engine.Val]bool
	base         []engine.Val // candidate values (non-NULL, sorted), built lazily
}

func (c *colSpec) addLit(v engine.Val) {
	if v.K == engine.KNull {
		return
	}
	if c.typ.Kind == qm.Float && v.K == engine.KInt {
		v = engine.Float(float64(v.I))
	}
	if c.litSeen == nil {
		c.litSeen = map[engine.Val]bool{}
	}
	if c.litSeen[v] {
		return
	}
	c.litSeen[v] = true
	c.lits = append(c.lits, v)
}

// applySchema copies the catalogue's constraints (and dummy-only constraints) onto c.
func (c *colSpec) applySchema(col schema.EhrQLColumn) {
	for _, cs := range []schema.EhrQLConstraints{col.Constraints, col.Dummy} {
		if cs.NotNull {
			c.notNull = true
		}
		if cs.FirstOfMonth {
			c.firstOfMonth = true
		}
		if cs.NullCategory && len(cs.Categories) == 0 {
			c.nullOnly = true
		}
		if len(cs.Categories) > 0 {
			c.cats = nil
			for _, s := range cs.Categories {
				if v, err := engine.ParseCell(s, c.typ); err == nil && v.K != engine.KNull {
					c.cats = append(c.cats, v)
				}
			}
		}
		if cs.Regex != "" {
			if re, err := syntax.Parse(cs.Regex, syntax.Perl); err == nil {
				c.regex = re.Simplify()
			}
		}
		if cs.Min != "" {
			if v, err := engine.ParseCell(cs.Min, c.typ); err == nil && v.K != engine.KNull {
				if cs.MinExclusive {
					v.I++
				}
				c.min = &v
			}
		}
		if cs.Max != "" {
			if v, err := engine.ParseCell(cs.Max, c.typ); err == nil && v.K != engine.KNull {
				if cs.MaxExclusive {
					v.I--
				}
				c.max = &v
			}
		}
		if cs.Step > 1 {
			c.step = int64(cs.Step)
		}
	}
}

func (c *colSpec) inRange(v engine.Val) bool {
	if c.min != nil && engine.Compare(v, *c.min) < 0 {
		return false
	}
	if c.max != nil && engine.Compare(v, *c.max) > 0 {
		return false
	}
	if c.step > 1 && c.min != nil && v.K == engine.KInt && (v.I-c.min.I)%c.step != 0 {
		return false
	}
	if c.firstOfMonth && v.K == engine.KDate && v.Date().Day != 1 {
		return false
	}
	if len(c.cats) > 0 {
		for _, k := range c.cats {
			if engine.Equal(k, v) {
				return true
			}
		}
		return false
	}
	return true
}

// candidates returns the column's possible non-NULL values, sorted.
func (c *colSpec) candidates(g *Generator) []engine.Val {
	if c.base != nil {
		return c.base
	}
	var out []engine.Val
	switch {
	case len(c.cats) > 0:
		out = append(out, c.cats...)
	case c.typ.Kind == qm.DateKind:
		for d := g.epoch; d <= g.today; d++ {
			v := engine.DateDays(d)
			if c.firstOfMonth && v.Date().Day != 1 {
				continue
			}
			out = append(out, v)
		}
	case c.typ.Kind == qm.Bool:
		out = append(out, engine.Bool(false), engine.Bool(true))
	case c.typ.Kind == qm.Int:
		if c.min != nil && c.max != nil && c.max.I-c.min.I < 100000 {
			step := max(c.step, 1)
			for x := c.min.I; x <= c.max.I; x += step {
				out = append(out, engine.Int(x))
			}
		} else {
			for x := int64(-200); x <= 200; x++ {
				out = append(out, engine.Int(x))
			}
			for _, l := range c.lits {
				out = append(out, engine.Int(l.I-1), l, engine.Int(l.I+1))
			}
		}
	case c.typ.Kind == qm.Float:
		for x := 0; x <= 400; x++ {
			out = append(out, engine.Float(float64(x)/2))
		}
		for _, l := range c.lits {
			out = append(out, engine.Float(l.F-0.5), l, engine.Float(l.F+0.5))
		}
	default:
		out = append(out, c.lits...)
		r := rand.New(rand.NewPCG(g.opts.Seed, uint64(len(c.name))))
		for i := 0; i < 20; i++ {
			out = append(out, c.randomString(r))
		}
	}
	var kept []engine.Val
	for _, v := range out {
		if c.inRange(v) {
			kept = append(kept, v)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return engine.Compare(kept[i], kept[j]) < 0 })
	uniq := kept[:0]
	for i, v := range kept {
		if i == 0 || !engine.Equal(v, kept[i-1]) {
			uniq = append(uniq, v)
		}
	}
	c.base = uniq
	return c.base
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomString makes a value for a string or code column: matching its regex, or a valid
// code of its coding system, or a short random word.
func (c *colSpec) randomString(r *rand.Rand) engine.Val {
	if c.regex != nil {
		return engine.Str(genRegex(c.regex, r))
	}
	digits := func(n int, first bool) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + r.IntN(10))
		}
		if first {
			b[0] = byte('1' + r.IntN(9))
		}
		return string(b)
	}
	letter := func(not byte) byte {
		for {
			l := byte('A' + r.IntN(26))
			if l != not {
				return l
			}
		}
	}
	if c.typ.Kind == qm.Code || c.typ.Kind == qm.MultiCode {
		switch c.typ.System {
		case "SNOMEDCT", "DMD":
			return engine.Str(digits(6+r.IntN(4), true))
		case "ICD10":
			return engine.Str(string(letter(0)) + digits(2+r.IntN(2), false))
		case "OPCS4":
			return engine.Str(string(letter('I')) + digits(3, false))
		case "CTV3":
			b := make([]byte, 5)
			for i := range b {
				b[i] = alnum[r.IntN(len(alnum))]
			}
			return engine.Str(string(b))
		case "BNF":
			return engine.Str("0" + digits(6, false) + "A0AAAAAA")
		}
	}
	n := 4 + r.IntN(8)
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[r.IntN(len(alnum))]
	}
	return engine.Str(string(b))
}

// genRegex produces a string matching a parsed regular expression.
func genRegex(re *syntax.Regexp, r *rand.Rand) string {
	var b []byte
	var gen func(re *syntax.Regexp)
	gen = func(re *syntax.Regexp) {
		switch re.Op {
		case syntax.OpLiteral:
			b = append(b, string(re.Rune)...)
		case syntax.OpCharClass:
			if len(re.Rune) < 2 {
				return
			}
			k := r.IntN(len(re.Rune) / 2)
			lo, hi := re.Rune[2*k], re.Rune[2*k+1]
			if hi > lo+200 {
				hi = lo + 25
			}
			b = append(b, string(lo+rune(r.IntN(int(hi-lo)+1)))...)
		case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
			b = append(b, alnum[r.IntN(len(alnum))])
		case syntax.OpConcat, syntax.OpCapture:
			for _, s := range re.Sub {
				gen(s)
			}
		case syntax.OpAlternate:
			gen(re.Sub[r.IntN(len(re.Sub))])
		case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
			lo, hi := 0, 3
			switch re.Op {
			case syntax.OpPlus:
				lo = 1
			case syntax.OpQuest:
				hi = 1
			case syntax.OpRepeat:
				lo, hi = re.Min, re.Max
				if hi < 0 {
					hi = lo + 3
				}
			}
			n := lo + r.IntN(hi-lo+1)
			for i := 0; i < n; i++ {
				gen(re.Sub[0])
			}
		}
	}
	gen(re)
	return string(b)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
