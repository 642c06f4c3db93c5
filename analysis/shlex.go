package analysis

import "errors"

// Word is one shell word of a `run:` line: its value after quote removal, and the byte range
// of its raw text in the string it was split from.
type Word struct {
	Text string
	Raw  Range // offsets into the split string, not the file
}

// Errors from SplitShell, worded for researchers.
var (
	ErrUnclosedQuote  = errors.New("unterminated quote")
	ErrTrailingEscape = errors.New("backslash at the end of the line escapes nothing")
)

// SplitShell splits s into words exactly as Python's shlex.split does in POSIX mode, which
// is how OpenSAFELY splits `run:` lines: whitespace separates words; single quotes keep
// everything literally; inside double quotes a backslash escapes only `"` and `\`; outside
// quotes a backslash escapes any character. There is no expansion, globbing or comment
// handling, and operators such as `>` or `|` are ordinary characters. Nothing is executed.
//
// We write this ourselves because no maintained Go library reproduces shlex's exact rules and
// reports where each word came from.
func SplitShell(s string) ([]Word, error) {
	var words []Word
	var cur []byte
	inWord := false
	start := 0
	const (
		normal = iota
		single
		double
	)
	state := normal
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch state {
		case normal:
			switch {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r':
				if inWord {
					words = append(words, Word{Text: string(cur), Raw: Range{start, i}})
					cur, inWord = cur[:0:0], false
				}
			case c == '\'':
				if !inWord {
					inWord, start = true, i
				}
				state = single
			case c == '"':
				if !inWord {
					inWord, start = true, i
				}
				state = double
			case c == '\\':
				if !inWord {
					inWord, start = true, i
				}
				if i+1 >= len(s) {
					return words, ErrTrailingEscape
				}
				i++
				cur = append(cur, s[i])
			default:
				if !inWord {
					inWord, start = true, i
				}
				cur = append(cur, c)
			}
		case single:
			if c == '\'' {
				state = normal
			} else {
				cur = append(cur, c)
			}
		case double:
			switch {
			case c == '"':
				state = normal
			case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
				i++
				cur = append(cur, s[i])
			default:
				cur = append(cur, c)
			}
		}
	}
	if state != normal {
		return words, ErrUnclosedQuote
	}
	if inWord {
		words = append(words, Word{Text: string(cur), Raw: Range{start, len(s)}})
	}
	return words, nil
}
