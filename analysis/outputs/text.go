package outputs

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/opensafely-core/osls/analysis"
)

// maxTextFindings bounds the findings reported for one text or JSON file.
const maxTextFindings = 20

// Small counts written in prose: "5 patients", "n = 3", "count: 4". The number must stand
// alone (not "3.5", "1,000" or "2021").
var (
	smallBeforeWord = regexp.MustCompile(`(?i)(^|[^\w.,])([1-7])\s+(patients?|people|persons?|individuals?|events?|cases?|deaths?|admissions?)\b`)
	smallAfterWord  = regexp.MustCompile(`(?i)\b(n|count|counts|patients|people|events|cases|deaths|total)\s*(=|:)\s*([1-7])($|[^\w.,])`)
)

// checkText scans a text, Markdown, HTML or log file line by line for small counts.
func checkText(rep *FileReport, cr *countingReader) {
	br := bufio.NewReaderSize(cr, 64*1024)
	var off, lineStart int64
	line, found, more := 0, 0, 0
	continuing := false
	for {
		b, err := br.ReadSlice('\n')
		// A line longer than the buffer arrives in pieces; each piece is scanned on its own.
		if len(b) > 0 {
			if !continuing {
				line++
				lineStart = off
			}
			continuing = errors.Is(err, bufio.ErrBufferFull)
			s := string(b)
			for _, m := range smallMatches(s) {
				if found >= maxTextFindings {
					more++
					continue
				}
				found++
				rep.Findings = append(rep.Findings, Finding{File: rep.Path, Code: analysis.CodeSDCTextSmallCount.ID,
					Severity: analysis.CodeSDCTextSmallCount.Severity, Row: 0, Line: line, Col: int(off-lineStart) + m[0] + 1,
					Offset: off + int64(m[0]), Width: m[1] - m[0],
					Message: fmt.Sprintf("%s reports a count of 7 or fewer: redact it, or round it if it is above 7", strconv.Quote(strings.TrimSpace(s[m[0]:m[1]])))})
			}
			off += int64(len(b))
		}
		if err == nil || errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		break
	}
	if more > 0 && found > 0 {
		rep.Findings[len(rep.Findings)-1].Message += fmt.Sprintf(" (and %d more in this file)", more)
	}
}

// smallMatches returns the byte spans of small counts in s.
func smallMatches(s string) [][2]int {
	var out [][2]int
	for _, m := range smallBeforeWord.FindAllStringSubmatchIndex(s, -1) {
		out = append(out, [2]int{m[4], m[7]})
	}
	for _, m := range smallAfterWord.FindAllStringSubmatchIndex(s, -1) {
		out = append(out, [2]int{m[2], m[7]})
	}
	return out
}

// checkJSON streams a JSON file and checks the numbers stored under count-like keys as it
// would a count column.
func checkJSON(rep *FileReport, cr *countingReader) {
	br := bufio.NewReader(cr)
	if head, _ := br.Peek(3); string(head) == "\xEF\xBB\xBF" {
		_, _ = br.Discard(3)
		cr.bom = 3
	}
	dec := json.NewDecoder(br)
	dec.UseNumber()
	// stack of containers: for objects, whether the next string token is a key.
	type frame struct {
		object bool
		key    string
		expect bool // expecting a key
	}
	var stack []frame
	found := 0
	report := func(code analysis.Code, sev analysis.Severity, key string, off int64, text, msg string) {
		if found >= maxTextFindings {
			return
		}
		found++
		line, col := cr.lineCol(off)
		rep.Findings = append(rep.Findings, Finding{File: rep.Path, Code: code.ID, Severity: sev, Column: key,
			Offset: off, Line: line, Col: col, Width: len(text), Message: msg})
	}
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			if err != io.EOF {
				rep.Findings = append(rep.Findings, fileFinding(rep.Path, analysis.CodeSDCUnreadable, fmt.Sprintf("could not read the JSON: %v", err)))
			}
			break
		}
		top := len(stack) - 1
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if top >= 0 && stack[top].object {
					stack[top].expect = true
				}
				stack = append(stack, frame{object: t == '{', expect: t == '{'})
			default:
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].expect = true
				}
			}
			continue
		case string:
			if top >= 0 && stack[top].object && stack[top].expect {
				stack[top].key, stack[top].expect = t, false
				continue
			}
		case json.Number:
			key := ""
			for i := top; i >= 0; i-- {
				if stack[i].object {
					key = stack[i].key
					break
				}
			}
			checkJSONNumber(t, key, jsonValueOffset(cr, dec, before, string(t)), report)
		}
		if top >= 0 && stack[top].object {
			stack[top].expect = true
		}
	}
}

// jsonValueOffset finds where the number token just read starts: the decoder reports the
// offset after the previous token, which may be followed by a separator and spaces.
func jsonValueOffset(cr *countingReader, dec *json.Decoder, before int64, text string) int64 {
	after := dec.InputOffset()
	if start := after - int64(len(text)); start >= before {
		return start + int64(cr.bom)
	}
	return before + int64(cr.bom)
}

func checkJSONNumber(n json.Number, key string, off int64, report func(analysis.Code, analysis.Severity, string, int64, string, string)) {
	if key == "" {
		return
	}
	rounding, _ := roundingFromName(key)
	if rounding == RoundNone && judgeName(key) != nameCount {
		return
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		f, ferr := n.Float64()
		if ferr != nil || f != float64(int64(f)) {
			return
		}
		i = int64(f)
	}
	if i <= 0 {
		return
	}
	where := fmt.Sprintf("key %s: ", strconv.Quote(key))
	switch rounding {
	case RoundMidpoint6:
		if (i-3)%6 != 0 {
			report(analysis.CodeSDCMidpoint6, analysis.CodeSDCMidpoint6.Severity, key, off, n.String(), where+fmt.Sprintf("%d is not midpoint-6 rounded (values must be 0 or 3, 9, 15, …)", i))
		}
	case RoundMidpoint6Derived:
		if i%6 != 0 {
			report(analysis.CodeSDCMidpoint6Derived, analysis.CodeSDCMidpoint6Derived.Severity, key, off, n.String(), where+fmt.Sprintf("%d is not a multiple of 6", i))
		}
	default:
		if i <= SmallCountLimit {
			report(analysis.CodeSDCSmallCount, analysis.SeverityWarning, key, off, n.String(), where+fmt.Sprintf("%d is a count of 7 or fewer that is not redacted", i))
		} else if i%5 != 0 {
			report(analysis.CodeSDCUnrounded, analysis.CodeSDCUnrounded.Severity, key, off, n.String(), where+fmt.Sprintf("%d is not rounded to the nearest 5", i))
		}
	}
}
