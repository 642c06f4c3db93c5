package analysis

import "bytes"

// Lexical position logic for the ehrQL editor queries. The syntax tree of a half-typed file
// is unreliable around the cursor (`events.` on its own does not parse), so the queries
// first read the raw text: a forward scan from the top of the file that knows strings,
// comments and brackets tells whether the cursor is in a string, which brackets are open
// around it and where each argument starts; a backward walk from a `.` or `(` finds the
// primary expression (`a.b(c)[d].e`) that precedes it.

// pyScan is what the text before the cursor says about the cursor's surroundings.
type pyScan struct {
	inString   bool
	inComment  bool
	strQuote   int // offset of the opening quote of the string the cursor is in
	strContent int // offset of its first content byte
	quote      byte
	triple     bool

	open     []int       // offsets of the brackets open at the cursor, innermost last
	commas   []int       // commas seen at the level of each open bracket
	argStart []int       // where the current item of each open bracket starts
	match    map[int]int // offset of a closing bracket -> offset of its opening bracket
}

// innermostCall returns the index in s.open of the innermost open parenthesis, or -1.
func (s *pyScan) innermostCall(src []byte) int {
	for i := len(s.open) - 1; i >= 0; i-- {
		if src[s.open[i]] == '(' {
			return i
		}
	}
	return -1
}

// scanPython reads src from the start up to off.
func scanPython(src []byte, off int) pyScan {
	s := pyScan{match: map[int]int{}}
	if off > len(src) {
		off = len(src)
	}
	for i := 0; i < off; i++ {
		c := src[i]
		if s.inComment {
			if c == '\n' {
				s.inComment = false
			}
			continue
		}
		if s.inString {
			switch {
			case c == '\\':
				i++
			case s.triple && c == s.quote && i+2 < len(src) && src[i+1] == s.quote && src[i+2] == s.quote:
				s.inString = false
				i += 2
			case !s.triple && c == s.quote:
				s.inString = false
			case !s.triple && c == '\n':
				s.inString = false // an unterminated string ends with its line
			}
			continue
		}
		switch c {
		case '#':
			s.inComment = true
		case '"', '\'':
			s.inString, s.quote, s.strQuote = true, c, i
			if i+2 < len(src) && src[i+1] == c && src[i+2] == c {
				s.triple = true
				s.strContent = i + 3
				i += 2
			} else {
				s.triple = false
				s.strContent = i + 1
			}
			if s.strContent > off {
				s.strContent = off
			}
		case '(', '[', '{':
			s.open = append(s.open, i)
			s.commas = append(s.commas, 0)
			s.argStart = append(s.argStart, i+1)
		case ')', ']', '}':
			if n := len(s.open); n > 0 {
				s.match[i] = s.open[n-1]
				s.open = s.open[:n-1]
				s.commas = s.commas[:n-1]
				s.argStart = s.argStart[:n-1]
			}
		case ',':
			if n := len(s.open); n > 0 {
				s.commas[n-1]++
				s.argStart[n-1] = i + 1
			}
		}
	}
	return s
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// primaryStart returns where the primary expression ending at end starts: names joined by
// dots, calls and subscripts (`events.where(x).sort_by(y)`). It returns end when there is
// none (an operator or a literal precedes end).
func primaryStart(src []byte, end int, match map[int]int) int {
	i := end
	for {
		group := false
		switch {
		case i > 0 && (src[i-1] == ')' || src[i-1] == ']'):
			o, ok := match[i-1]
			if !ok {
				return i
			}
			i, group = o, true
		case i > 0 && isIdentByte(src[i-1]):
			for i > 0 && isIdentByte(src[i-1]) {
				i--
			}
		default:
			return i
		}
		switch {
		case i > 0 && src[i-1] == '.':
			i--
		case group && i > 0 && (isIdentByte(src[i-1]) || src[i-1] == ')' || src[i-1] == ']'):
			// the callee of a call, or the value of a subscript
		default:
			return i
		}
	}
}

// identAround returns the identifier bytes around off: [start, end).
func identAround(src []byte, off int) (int, int) {
	s, e := off, off
	for s > 0 && isIdentByte(src[s-1]) {
		s--
	}
	for e < len(src) && isIdentByte(src[e]) {
		e++
	}
	return s, e
}

// lineBounds returns the start and end (before the break) of the line holding off.
func lineBounds(src []byte, off int) (int, int) {
	start := bytes.LastIndexByte(src[:off], '\n') + 1
	end := bytes.IndexByte(src[off:], '\n')
	if end < 0 {
		return start, len(src)
	}
	return start, off + end
}

// closers returns the brackets that close the open ones, innermost first.
func closers(src []byte, open []int) string {
	var b []byte
	for i := len(open) - 1; i >= 0; i-- {
		switch src[open[i]] {
		case '(':
			b = append(b, ')')
		case '[':
			b = append(b, ']')
		case '{':
			b = append(b, '}')
		}
	}
	return string(b)
}
