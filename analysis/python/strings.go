package python

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// strLit converts a string or concatenated_string node to a *Str, *Bytes
// or *FString. Mixing bytes with text pieces is a Python syntax error and
// gives an Unknown.
func (c *converter) strLit(i int32) Expr {
	r := c.rng(i)
	var pieces []int32
	if c.kind(i) == "concatenated_string" {
		for _, ch := range c.named(i) {
			if c.kind(ch) != "string" {
				return c.unknown(i)
			}
			pieces = append(pieces, ch)
		}
	} else {
		pieces = []int32{i}
	}
	var (
		infos                     []StrPiece
		nBytes, nFormat, nUnknown int
	)
	for _, p := range pieces {
		sp, ok := c.piece(p)
		if !ok {
			nUnknown++
		}
		pre := strings.ToLower(sp.Prefix)
		if strings.Contains(pre, "b") {
			nBytes++
		}
		if strings.ContainsAny(pre, "ft") {
			nFormat++
		}
		infos = append(infos, sp)
	}
	if nUnknown > 0 {
		return c.unknown(i)
	}
	if nBytes > 0 && nBytes < len(pieces) {
		c.errs = append(c.errs, SyntaxError{Range: r, Message: "cannot mix bytes and nonbytes literals"})
		return c.unknown(i)
	}
	if nFormat > 0 {
		f := &FString{Range: r, Pieces: infos}
		for j, p := range pieces {
			f.Parts = append(f.Parts, c.fstringParts(p, infos[j])...)
		}
		return f
	}
	var sb strings.Builder
	for _, sp := range infos {
		raw := strings.ContainsAny(sp.Prefix, "rR")
		sb.WriteString(decodeEscapes(c.src[sp.Content.Start:sp.Content.End], raw, nBytes > 0, false))
	}
	if nBytes > 0 {
		return &Bytes{Range: r, Value: sb.String(), Pieces: infos}
	}
	return &Str{Range: r, Value: sb.String(), Pieces: infos}
}

// piece describes one string node: its prefix and the range between its
// quotes.
func (c *converter) piece(i int32) (StrPiece, bool) {
	sp := StrPiece{Range: c.rng(i)}
	start, end := int32(-1), int32(-1)
	c.children(i, func(ch int32) {
		switch c.kind(ch) {
		case "string_start":
			start = ch
		case "string_end":
			end = ch
		}
	})
	if start < 0 || end < 0 {
		return sp, false
	}
	st := c.text(start)
	sp.Prefix = strings.TrimRight(st, `'"`)
	sp.Content = Range{int(c.nodes[start].end), int(c.nodes[end].start)}
	return sp, sp.Content.Start <= sp.Content.End
}

// fstringParts converts one piece of an f-string (or a plain piece of a
// concatenation that contains f-strings) into parts.
func (c *converter) fstringParts(i int32, sp StrPiece) []FStringPart {
	raw := strings.ContainsAny(sp.Prefix, "rR")
	isF := strings.ContainsAny(sp.Prefix, "fFtT")
	var parts []FStringPart
	pos := sp.Content.Start
	text := func(end int) {
		if end > pos {
			v := decodeEscapes(c.src[pos:end], raw, false, isF)
			parts = append(parts, &FStringText{Range: Range{pos, end}, Value: v})
		}
	}
	if isF {
		c.children(i, func(ch int32) {
			if c.kind(ch) != "interpolation" {
				return
			}
			text(int(c.nodes[ch].start))
			parts = append(parts, c.interpolation(ch, raw))
			pos = int(c.nodes[ch].end)
		})
	}
	text(sp.Content.End)
	return parts
}

// interpolation converts `{expr=!r:spec}` (also a nested format_expression).
func (c *converter) interpolation(i int32, raw bool) *FStringExpr {
	e := &FStringExpr{Range: c.rng(i), Debug: c.hasToken(i, "=")}
	if x := c.field(i, "expression"); x >= 0 {
		e.Expr = c.value(x)
	}
	if tc := c.field(i, "type_conversion"); tc >= 0 {
		if t := c.text(tc); len(t) == 2 {
			e.Conversion = t[1]
		}
	}
	if fs := c.field(i, "format_specifier"); fs >= 0 {
		e.FormatSpec = []FStringPart{}
		pos := int(c.nodes[fs].start) + 1 // after ':'
		text := func(end int) {
			if end > pos {
				v := decodeEscapes(c.src[pos:end], raw, false, true)
				e.FormatSpec = append(e.FormatSpec, &FStringText{Range: Range{pos, end}, Value: v})
			}
		}
		c.children(fs, func(ch int32) {
			if c.kind(ch) != "format_expression" {
				return
			}
			text(int(c.nodes[ch].start))
			e.FormatSpec = append(e.FormatSpec, c.interpolation(ch, raw))
			pos = int(c.nodes[ch].end)
		})
		text(int(c.nodes[fs].end))
	}
	return e
}

// decodeEscapes returns the value of a string literal's body. Raw bodies
// are kept as written; bytes bodies decode \x and octal escapes to bytes
// and have no \u, \U or \N escapes; f-string text also turns `{{` and `}}`
// into single braces. Unknown escapes and \N{...} (which needs the Unicode
// name table) are kept as written.
func decodeEscapes(body []byte, raw, bytes, fstring bool) string {
	if raw {
		if fstring {
			return unbrace(string(body))
		}
		return string(body)
	}
	if !containsAny(body, fstring) {
		return string(body)
	}
	var sb strings.Builder
	sb.Grow(len(body))
	for i := 0; i < len(body); i++ {
		ch := body[i]
		if fstring && (ch == '{' || ch == '}') && i+1 < len(body) && body[i+1] == ch {
			sb.WriteByte(ch)
			i++
			continue
		}
		if ch != '\\' || i+1 >= len(body) {
			sb.WriteByte(ch)
			continue
		}
		i++
		e := body[i]
		switch e {
		case '\n':
		case '\r':
			if i+1 < len(body) && body[i+1] == '\n' {
				i++
			}
		case '\\', '\'', '"':
			sb.WriteByte(e)
		case 'a':
			sb.WriteByte('\a')
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'v':
			sb.WriteByte('\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			n, j := 0, i
			for j < len(body) && j < i+3 && body[j] >= '0' && body[j] <= '7' {
				n = n*8 + int(body[j]-'0')
				j++
			}
			i = j - 1
			writeCode(&sb, n, bytes)
		case 'x':
			if n, ok := hexAt(body, i+1, 2); ok {
				writeCode(&sb, n, bytes)
				i += 2
			} else {
				sb.WriteByte('\\')
				sb.WriteByte(e)
			}
		case 'u', 'U':
			width := 4
			if e == 'U' {
				width = 8
			}
			if n, ok := hexAt(body, i+1, width); ok && !bytes {
				writeCode(&sb, n, false)
				i += width
			} else {
				sb.WriteByte('\\')
				sb.WriteByte(e)
			}
		default:
			sb.WriteByte('\\')
			sb.WriteByte(e)
		}
	}
	return sb.String()
}

func containsAny(body []byte, fstring bool) bool {
	for _, b := range body {
		if b == '\\' || (fstring && (b == '{' || b == '}')) {
			return true
		}
	}
	return false
}

func unbrace(s string) string {
	s = strings.ReplaceAll(s, "{{", "{")
	return strings.ReplaceAll(s, "}}", "}")
}

func hexAt(body []byte, at, width int) (int, bool) {
	if at+width > len(body) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(body[at:at+width]), 16, 32)
	return int(n), err == nil
}

// writeCode writes code point n as a byte (bytes literals) or as UTF-8.
func writeCode(sb *strings.Builder, n int, bytes bool) {
	if bytes {
		sb.WriteByte(byte(n))
		return
	}
	if n > utf8.MaxRune {
		n = utf8.RuneError
	}
	sb.WriteRune(rune(n))
}
