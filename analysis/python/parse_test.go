package python

import (
	"github.com/opensafely-core/osls/internal/testgen"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// convertCases pairs source with the expected statements rendered by
// sexpr (type, key values and byte range of every node) and the errors.
var convertCases = []struct{ name, src, want string }{
	{"import", "import a.b as c, d",
		"Import@0:18(Alias[a.b as c]@7:15 Alias[d]@17:18)"},
	{"importfrom relative", "from ..x.y import (a as b, c)",
		"ImportFrom[x.y level=2]@0:29(Alias[a as b]@19:25 Alias[c]@27:28)"},
	{"importfrom dot", "from . import z",
		"ImportFrom[ level=1]@0:15(Alias[z]@14:15)"},
	{"importfrom star", "from m import *",
		"ImportFrom[m level=0 *]@0:15"},
	{"future", "from __future__ import annotations",
		"ImportFrom[__future__ level=0]@0:34(Alias[annotations]@23:34)"},
	{"assign chained", "a = b = 1",
		"Assign@0:9(Name[a]@0:1 Name[b]@4:5 Int[1]@8:9)"},
	{"assign tuple target", "a, *b = c",
		"Assign@0:9(Tuple@0:5(Name[a]@0:1 Starred@3:5(Name[b]@4:5)) Name[c]@8:9)"},
	{"augassign", "x += 1",
		"AugAssign[+]@0:6(Name[x]@0:1 Int[1]@5:6)"},
	{"annassign", "x: int = 5",
		"AnnAssign@0:10(Name[x]@0:1 Name[int]@3:6 Int[5]@9:10)"},
	{"annassign bare", "x: int",
		"AnnAssign@0:6(Name[x]@0:1 Name[int]@3:6)"},
	{"docstring", "\"\"\"doc\"\"\"",
		"ExprStmt@0:9(Str[\"doc\"]@0:9)"},
	{"classdef decorated", "@dec\n@table_from_file(\"output/x.csv\")\nclass T(PatientFrame, metaclass=M):\n    x = Series(int)",
		"ClassDef[T]@0:93(Name[dec]@1:4 Call@6:37(Name[table_from_file]@6:21 Str[\"output/x.csv\"]@22:36) Name[PatientFrame]@46:58 Keyword[metaclass]@60:71(Name[M]@70:71) Assign@78:93(Name[x]@78:79 Call@82:93(Name[Series]@82:88 Name[int]@89:92)))"},
	{"funcdef params", "async def f(a, /, b: int = 1, *args, c, d=2, **kw) -> int:\n    return a",
		"FunctionDef[async f]@0:71(Param[a POSITIONAL_ONLY]@12:13 Param[b POSITIONAL_OR_KEYWORD]@18:28(Name[int]@21:24 Int[1]@27:28) Param[args VAR_POSITIONAL]@30:35 Param[c KEYWORD_ONLY]@37:38 Param[d KEYWORD_ONLY]@40:43(Int[2]@42:43) Param[kw VAR_KEYWORD]@45:49 Name[int]@54:57 Return@63:71(Name[a]@70:71))"},
	{"if elif else", "if a:\n    pass\nelif b:\n    x = 1\nelse:\n    y = 2",
		"If@0:48(Name[a]@3:4 Pass@10:14 If[elif]@15:48(Name[b]@20:21 Assign@27:32(Name[x]@27:28 Int[1]@31:32) Assign@43:48(Name[y]@43:44 Int[2]@47:48)))"},
	{"for else", "for i, x in enumerate(y):\n    continue\nelse:\n    break",
		"For@0:54(Tuple@4:8(Name[i]@4:5 Name[x]@7:8) Call@12:24(Name[enumerate]@12:21 Name[y]@22:23) Continue@30:38 Break@49:54)"},
	{"while else", "while x:\n    pass\nelse:\n    pass",
		"While@0:32(Name[x]@6:7 Pass@13:17 Pass@28:32)"},
	{"with", "with open(p) as f, g:\n    pass",
		"With@0:30(WithItem@5:17(Call@5:12(Name[open]@5:9 Name[p]@10:11) Name[f]@16:17) WithItem@19:20(Name[g]@19:20) Pass@26:30)"},
	{"try", "try:\n    pass\nexcept* ValueError as e:\n    raise X from e\nexcept (A, B):\n    pass\nexcept:\n    pass\nelse:\n    pass\nfinally:\n    pass",
		"Try@0:131(Pass@9:13 ExceptHandler[* e]@14:57(Name[ValueError]@22:32 Raise@43:57(Name[X]@49:50 Name[e]@56:57)) ExceptHandler@58:81(Tuple@65:71(Name[A]@66:67 Name[B]@69:70) Pass@77:81) ExceptHandler@82:98(Pass@94:98) Pass@109:113 Pass@127:131)"},
	{"global", "global a, b",
		"Global@0:11(Name[a]@7:8 Name[b]@10:11)"},
	{"nonlocal", "nonlocal a",
		"Nonlocal@0:10(Name[a]@9:10)"},
	{"delete", "del a, b[0]",
		"Delete@0:11(Name[a]@4:5 Subscript@7:11(Name[b]@7:8 Int[0]@9:10))"},
	{"assert", "assert x, \"msg\"",
		"Assert@0:15(Name[x]@7:8 Str[\"msg\"]@10:15)"},
	{"match", "match x:\n    case 1:\n        pass",
		"Unknown[match_statement]@0:33(Name[x]@6:7 Int[1]@18:19 Pass@29:33)"},
	{"raise bare", "raise",
		"Raise@0:5"},
	{"semicolons", "a = 1; b = 2",
		"Assign@0:5(Name[a]@0:1 Int[1]@4:5)\nAssign@7:12(Name[b]@7:8 Int[2]@11:12)"},
	{"call args", "f(a, *b, c=1, **d)",
		"ExprStmt@0:18(Call@0:18(Name[f]@0:1 Name[a]@2:3 Starred@5:7(Name[b]@6:7) Keyword[c]@9:12(Int[1]@11:12) Keyword@14:17(Name[d]@16:17)))"},
	{"call generator", "f(x for x in y)",
		"ExprStmt@0:15(Call@0:15(Name[f]@0:1 GeneratorExp@1:15(Name[x]@2:3 Comprehension@4:14(Name[x]@8:9 Name[y]@13:14))))"},
	{"subscript slices", "a.b.c[1:2, ::3]",
		"ExprStmt@0:15(Subscript@0:15(Attribute[c]@0:5(Attribute[b]@0:3(Name[a]@0:1)) Tuple@6:14(Slice@6:9(Int[1]@6:7 Int[2]@8:9) Slice@11:14(Int[3]@13:14))))"},
	{"slice open", "a[1:]",
		"ExprStmt@0:5(Subscript@0:5(Name[a]@0:1 Slice@2:4(Int[1]@2:3)))"},
	{"binop precedence", "-a + b * c ** d // e",
		"ExprStmt@0:20(BinOp[+]@0:20(UnaryOp[-]@0:2(Name[a]@1:2) BinOp[//]@5:20(BinOp[*]@5:15(Name[b]@5:6 BinOp[**]@9:15(Name[c]@9:10 Name[d]@14:15)) Name[e]@19:20)))"},
	{"boolop flatten", "not a and b and c or d",
		"ExprStmt@0:22(BoolOp[or]@0:22(BoolOp[and]@0:17(UnaryOp[not]@0:5(Name[a]@4:5) Name[b]@10:11 Name[c]@16:17) Name[d]@21:22))"},
	{"boolop parenthesized", "a and (b and c)",
		"ExprStmt@0:15(BoolOp[and]@0:15(Name[a]@0:1 BoolOp[and]@7:14(Name[b]@7:8 Name[c]@13:14)))"},
	{"compare chained", "a < b not in c is not d",
		"ExprStmt@0:23(Compare[<,not in,is not]@0:23(Name[a]@0:1 Name[b]@4:5 Name[c]@13:14 Name[d]@22:23))"},
	{"ifexp", "a if b else c",
		"ExprStmt@0:13(IfExp@0:13(Name[a]@0:1 Name[b]@5:6 Name[c]@12:13))"},
	{"lambda", "lambda x, *y, z=1: x",
		"ExprStmt@0:20(Lambda@0:20(Param[x POSITIONAL_OR_KEYWORD]@7:8 Param[y VAR_POSITIONAL]@10:12 Param[z KEYWORD_ONLY]@14:17(Int[1]@16:17) Name[x]@19:20))"},
	{"displays", "[1, (2, 3), {4}, {}, {\"a\": 1, **d}]",
		"ExprStmt@0:35(List@0:35(Int[1]@1:2 Tuple@4:10(Int[2]@5:6 Int[3]@8:9) Set@12:15(Int[4]@13:14) Dict@17:19 Dict@21:34(DictItem@22:28(Str[\"a\"]@22:25 Int[1]@27:28) DictItem@30:33(Name[d]@32:33))))"},
	{"listcomp", "[x for x in y if x if z for w in x]",
		"ExprStmt@0:35(ListComp@0:35(Name[x]@1:2 Comprehension@3:23(Name[x]@7:8 Name[y]@12:13 Name[x]@17:18 Name[z]@22:23) Comprehension@24:34(Name[w]@28:29 Name[x]@33:34)))"},
	{"dictcomp", "{k: v for k, v in d.items()}",
		"ExprStmt@0:28(DictComp@0:28(Name[k]@1:2 Name[v]@4:5 Comprehension@6:27(Tuple@10:14(Name[k]@10:11 Name[v]@13:14) Call@18:27(Attribute[items]@18:25(Name[d]@18:19)))))"},
	{"setcomp async", "{x async for x in y}",
		"ExprStmt@0:20(SetComp@0:20(Name[x]@1:2 Comprehension[async]@3:19(Name[x]@13:14 Name[y]@18:19)))"},
	{"numbers", "0x_1f, 1_000, 1e3, 2j, 10000000000000000000000, 1.5",
		"ExprStmt@0:51(Tuple@0:51(Int[31]@0:5 Int[1000]@7:12 Float[1000]@14:17 Float[2j]@19:21 Int[10000000000000000000000 overflow]@23:46 Float[1.5]@48:51))"},
	{"constants", "True, False, None, ...",
		"ExprStmt@0:22(Tuple@0:22(Bool[true]@0:4 Bool[false]@6:11 NoneLit@13:17 Ellipsis@19:22))"},
	{"namedexpr", "(y := 5)",
		"ExprStmt@0:8(NamedExpr@1:7(Name[y]@1:2 Int[5]@6:7))"},
	{"await", "await x",
		"ExprStmt@0:7(Unknown[await]@0:7(Name[x]@6:7))"},
	{"yield", "def g():\n    yield x",
		"FunctionDef[g]@0:20(ExprStmt@13:20(Unknown[yield]@13:20(Name[x]@19:20)))"},
	{"yield assign", "x = yield",
		"Assign@0:9(Name[x]@0:1 Unknown[yield]@4:9)"},
	{"empty tuple", "()",
		"ExprStmt@0:2(Tuple@0:2)"},
	{"parens dropped", "(a)",
		"ExprStmt@0:3(Name[a]@1:2)"},
	{"print statement", "print \"x\"",
		"Unknown[print_statement]@0:9(Str[\"x\"]@6:9)"},
	{"matmul", "a = x @ y",
		"Assign@0:9(Name[a]@0:1 BinOp[@]@4:9(Name[x]@4:5 Name[y]@8:9))"},
	{"call chain", "f(**{\"a\": 1})(2)",
		"ExprStmt@0:16(Call@0:16(Call@0:13(Name[f]@0:1 Keyword@2:12(Dict@4:12(DictItem@5:11(Str[\"a\"]@5:8 Int[1]@10:11)))) Int[2]@14:15))"},
	{"ehrql chain", "dataset.x = events.where(events.code.is_in(cl)).sort_by(events.date).first_for_patient().date",
		"Assign@0:93(Attribute[x]@0:9(Name[dataset]@0:7) Attribute[date]@12:93(Call@12:88(Attribute[first_for_patient]@12:86(Call@12:68(Attribute[sort_by]@12:55(Call@12:47(Attribute[where]@12:24(Name[events]@12:18) Call@25:46(Attribute[is_in]@25:42(Attribute[code]@25:36(Name[events]@25:31)) Name[cl]@43:45))) Attribute[date]@56:67(Name[events]@56:62))))))"},
	{"escapes", "\"a\\n\\t\\x41\\101\\u00e9\\U0001F600\\N{DASH}\\q\\\\\"",
		"ExprStmt@0:43(Str[\"a\\n\\tAAé😀\\\\N{DASH}\\\\q\\\\\"]@0:43)"},
	{"raw and implicit concat", "r\"\\d\\n\" 'x' \"\"\"y\nz\"\"\"",
		"ExprStmt@0:21(Str[\"\\\\d\\\\nxy\\nz\"]@0:21)"},
	{"bytes", "b\"\\x00\\xff\" rb\"\\n\"",
		"ExprStmt@0:18(Bytes[\"\\x00\\xff\\\\n\"]@0:18)"},
	{"mixed bytes", "b\"a\" \"b\"",
		"ExprStmt@0:8(Unknown[concatenated_string]@0:8(Bytes[\"a\"]@0:4 Str[\"b\"]@5:8))\nERR 0-8: cannot mix bytes and nonbytes literals"},
	{"fstring", "f\"a{x!r:>{w}}b{{c}}{y=}{z:%Y-%m-%d}\"",
		"ExprStmt@0:36(FString@0:36(FStringText[\"a\"]@2:3 FStringExpr[!r:]@3:13(Name[x]@4:5 FStringText[\">\"]@8:9 FStringExpr@9:12(Name[w]@10:11)) FStringText[\"b{c}\"]@13:19 FStringExpr[=]@19:23(Name[y]@20:21) FStringExpr[:]@23:35(Name[z]@24:25 FStringText[\"%Y-%m-%d\"]@26:34)))"},
	{"fstring concat", "\"a\" f\"{x}\" \"c\\n\"",
		"ExprStmt@0:16(FString@0:16(FStringText[\"a\"]@1:2 FStringExpr@6:9(Name[x]@7:8) FStringText[\"c\\n\"]@12:15))"},
	{"fstring raw", "rf\"\\d{x}\"",
		"ExprStmt@0:9(FString@0:9(FStringText[\"\\\\d\"]@3:5 FStringExpr@5:8(Name[x]@6:7)))"},
	{"fstring tuple", "f\"{a, b}\"",
		"ExprStmt@0:9(FString@0:9(FStringExpr@2:8(Tuple@3:7(Name[a]@3:4 Name[b]@6:7))))"},
	{"unicode prefix", "u\"x\"",
		"ExprStmt@0:4(Str[\"x\"]@0:4)"},
	{"string continuation", "\"line\\\ncont\"",
		"ExprStmt@0:12(Str[\"linecont\"]@0:12)"},
	{"fstring nested quotes", "f\"{x:{'a'}}\"",
		"ExprStmt@0:12(FString@0:12(FStringExpr[:]@2:11(Name[x]@3:4 FStringExpr@5:10(Str[\"a\"]@6:9))))"},
}

func render(f *File) string {
	var parts []string
	for _, s := range f.Module.Body {
		parts = append(parts, sexpr(s))
	}
	for _, e := range f.Errors {
		parts = append(parts, "ERR "+e.Error())
	}
	return strings.Join(parts, "\n")
}

func TestConvert(t *testing.T) {
	for _, tc := range convertCases {
		t.Run(tc.name, func(t *testing.T) {
			f := Parse([]byte(tc.src))
			defer f.Close()
			if got := render(f); got != tc.want {
				t.Errorf("Parse(%q):\ngot  %s\nwant %s", tc.src, got, tc.want)
			}
			checkRanges(t, f)
		})
	}
}

// checkRanges asserts that every range lies in the source and inside its
// parent's range.
func checkRanges(t testing.TB, f *File) {
	t.Helper()
	var check func(n Node, parent Range)
	check = func(n Node, parent Range) {
		r := n.Span()
		if r.Start < 0 || r.End > len(f.Source) || r.Start > r.End {
			t.Fatalf("%T range %v outside source of %d bytes", n, r, len(f.Source))
		}
		if r.Start < parent.Start || r.End > parent.End {
			t.Fatalf("%T range %v outside parent range %v in %q", n, r, parent, f.Source)
		}
		for _, c := range Children(n) {
			check(c, r)
		}
	}
	check(f.Module, f.Module.Range)
	for _, e := range f.Errors {
		if e.Start < 0 || e.End > len(f.Source) || e.Start > e.End {
			t.Fatalf("error range %v outside source", e.Range)
		}
	}
}

func TestValues(t *testing.T) {
	f := Parse([]byte("import a.b as c\nfrom ..m import x as y\nx = 'it''s'\n"))
	imp := f.Module.Body[0].(*Import)
	if a := imp.Names[0]; a.Name != "a.b" || a.AsName != "c" || a.NameRange != (Range{7, 10}) || a.AsNameRange != (Range{14, 15}) {
		t.Errorf("alias = %+v", a)
	}
	from := f.Module.Body[1].(*ImportFrom)
	if from.Module != "m" || from.Level != 2 || from.ModuleRange != (Range{21, 24}) {
		t.Errorf("import from = %+v", from)
	}
	s := f.Module.Body[2].(*Assign).Value.(*Str)
	if s.Value != "its" || len(s.Pieces) != 2 || s.Pieces[1].Content != (Range{48, 49}) {
		t.Errorf("str = %+v", s)
	}
	call := Parse([]byte("f(a, b=1)")).Module.Body[0].(*ExprStmt).X.(*Call)
	if call.ArgsRange != (Range{1, 9}) || call.Keywords[0].ArgRange != (Range{5, 6}) {
		t.Errorf("call = %+v", call)
	}
}

func TestSyntaxErrorRecovery(t *testing.T) {
	src := "from ehrql import create_dataset\n" +
		"dataset = create_dataset()\n" +
		"dataset.age = patients.\n" + // half-typed line
		"dataset.sex = patients.sex\n" +
		"def f(a):\n" +
		"    b = [1,\n" + // unclosed bracket inside a function
		"    return b\n" +
		"x = f(\n" + // unclosed call
		"y = 2\n"
	f := Parse([]byte(src))
	checkRanges(t, f)
	var kinds []string
	for _, s := range f.Module.Body {
		kinds = append(kinds, reflect.TypeOf(s).Elem().Name())
	}
	want := "ImportFrom Assign Unknown Assign FunctionDef Unknown Assign"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("statements = %s, want %s\n%s", got, want, render(f))
	}
	if len(f.Errors) == 0 {
		t.Fatal("no syntax errors reported")
	}
	for _, e := range f.Errors {
		line := strings.Count(src[:e.Start], "\n") + 1
		if line != 3 && line != 6 && line != 8 {
			t.Errorf("error %v on line %d", e, line)
		}
	}
	sex := f.Module.Body[3].(*Assign)
	if a := sex.Targets[0].(*Attribute); a.Attr != "sex" {
		t.Errorf("statement after the broken line = %s", sexpr(sex))
	}
	// The broken statement keeps its well-formed parts for lookups.
	u := f.Module.Body[2].(*Unknown)
	if len(u.Parts) == 0 {
		t.Errorf("Unknown has no parts: %s", sexpr(u))
	}
	fn := f.Module.Body[4].(*FunctionDef)
	if len(fn.Body) != 2 {
		t.Errorf("function body = %s", sexpr(fn))
	}
}

func TestSyntaxErrorsNeverPanic(t *testing.T) {
	for _, src := range []string{
		"", "\n", "(", ")", "def", "def f(:", "class", "@", "@dec\n", "x = \"unterminated\n",
		"if x:\nprint(1)\n", "  x = 1\n", "f'{'", "f'{x!z}'", "lambda: (yield)", "a[", "import", "from . import",
		"x = 1 +\ny = 2\n", "\x00\xff", "else:\n    pass\n", "try:\n    pass\n", "'''\nabc\n",
	} {
		f := Parse([]byte(src))
		checkRanges(t, f)
		f.Close()
	}
}

func TestReparseEqualsParse(t *testing.T) {
	base := testgen.DatasetDefinition(400)
	type edit struct {
		at, del int
		ins     string
	}
	mid := strings.Index(base, "dataset.first_event")
	for _, e := range []edit{
		{0, 0, "#"},
		{mid, 0, "x"},
		{mid + 5, 3, ""},
		{mid, 0, "dataset.broken = patients.\n"},
		{mid, 0, "x = (\n"},
		{len(base), 0, "\ny = 1\n"},
		{len(base) / 2, 0, "'''"},
		{10, 200, ""},
		{strings.Index(base, "def has_prior"), 0, "@decorator\n"},
		{strings.Index(base, "    return ("), 4, ""},
	} {
		newSrc := base[:e.at] + e.ins + base[e.at+e.del:]
		old := Parse([]byte(base))
		for _, edits := range [][]Edit{
			{{Start: e.at, OldEnd: e.at + e.del, NewEnd: e.at + len(e.ins)}},
			nil,                                // computed from the texts
			{{Start: 0, OldEnd: 0, NewEnd: 0}}, // inconsistent: ignored
		} {
			got := old.Reparse([]byte(newSrc), edits)
			want := Parse([]byte(newSrc))
			if !reflect.DeepEqual(got.Module, want.Module) || !reflect.DeepEqual(got.Errors, want.Errors) {
				t.Fatalf("edit %+v with %v: Reparse differs from Parse", e, edits)
			}
			checkRanges(t, got)
			// Reparse back to the original through the new file.
			back := got.Reparse([]byte(base), nil)
			if !reflect.DeepEqual(back.Module, old.Module) {
				t.Fatalf("edit %+v: reparsing back differs", e)
			}
			got.Close()
			want.Close()
			back.Close()
		}
		old.Close()
	}
}

func TestReparseClosed(t *testing.T) {
	f := Parse([]byte("x = 1\n"))
	f.Close()
	f.Close()
	g := f.Reparse([]byte("x = 2\n"), nil)
	defer g.Close()
	if v := g.Module.Body[0].(*Assign).Value.(*Int).Value; v != 2 {
		t.Errorf("value = %d", v)
	}
}

func TestReparseReusesStatements(t *testing.T) {
	src := "a = 1\nb = 2\nc = 3\n"
	f := Parse([]byte(src))
	g := f.Reparse([]byte("a = 1\nb = 22\nc = 3\n"), []Edit{{Start: 11, OldEnd: 11, NewEnd: 12}})
	if g.Module.Body[0] != f.Module.Body[0] {
		t.Error("statement before the edit was not shared")
	}
	if got := g.Module.Body[2].Span(); got != (Range{13, 18}) {
		t.Errorf("shifted statement range = %v", got)
	}
	if f.Module.Body[2].Span() != (Range{12, 17}) {
		t.Error("old file was modified")
	}
}

func TestConcurrentParse(t *testing.T) {
	src := []byte(testgen.DatasetDefinition(200))
	want := render(Parse(src))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				f := Parse(src)
				if render(f) != want {
					t.Error("concurrent parse differs")
				}
				g := f.Reparse(append([]byte("#\n"), src...), nil)
				g.Close()
				f.Close()
			}
		})
	}
	wg.Wait()
}

func TestNodeAt(t *testing.T) {
	src := "dataset.age = patients.age_on(index_date)\nf(a, b=c)\n"
	f := Parse([]byte(src))
	path := func(off int) string {
		var names []string
		for _, n := range f.NodeAt(off) {
			s := reflect.TypeOf(n).Elem().Name()
			if a := attrs(n); a != "" {
				s += "[" + a + "]"
			}
			names = append(names, s)
		}
		return strings.Join(names, " ")
	}
	for _, tc := range []struct {
		off  int
		want string
	}{
		{0, "Module Assign Attribute[age] Name[dataset]"},
		{7, "Module Assign Attribute[age] Name[dataset]"}, // end of "dataset": touching
		{9, "Module Assign Attribute[age]"},
		{11, "Module Assign Attribute[age]"}, // just after "age"
		{12, "Module Assign"},
		{25, "Module Assign Call Attribute[age_on]"},
		{30, "Module Assign Call Name[index_date]"},
		{45, "Module ExprStmt Call Name[a]"},
		{48, "Module ExprStmt Call Keyword[b]"},
		{50, "Module ExprStmt Call Keyword[b] Name[c]"},
		{len(src), "Module"},
	} {
		if got := path(tc.off); got != tc.want {
			t.Errorf("NodeAt(%d) (%q) = %s, want %s", tc.off, src[tc.off:min(tc.off+5, len(src))], got, tc.want)
		}
	}
	if f.NodeAt(-1) != nil || f.NodeAt(len(src)+1) != nil {
		t.Error("NodeAt outside the source is not nil")
	}
}

func TestWalkAndInspect(t *testing.T) {
	f := Parse([]byte(testgen.DatasetDefinition(300)))
	var inspected, walked, closes int
	Inspect(f.Module, func(Node) bool { inspected++; return true })
	Walk(countVisitor{&walked, &closes}, f.Module)
	if inspected != walked || walked != closes || walked < 1000 {
		t.Errorf("inspected %d, walked %d, closed %d", inspected, walked, closes)
	}
	// Every node type survives shifting unchanged apart from its ranges.
	Inspect(f.Module, func(n Node) bool {
		s := shiftNode(n, 7)
		if reflect.TypeOf(s) != reflect.TypeOf(n) || s.Span() != n.Span().shift(7) {
			t.Fatalf("shift of %T", n)
		}
		return true
	})
}

type countVisitor struct{ n, closes *int }

func (v countVisitor) Visit(n Node) Visitor {
	if n == nil {
		*v.closes++
		return nil
	}
	*v.n++
	return v
}

func TestGeneratedDefinitionParsesCleanly(t *testing.T) {
	src := testgen.DatasetDefinition(2500)
	f := Parse([]byte(src))
	if len(f.Errors) > 0 {
		t.Fatalf("errors: %v", f.Errors)
	}
	checkRanges(t, f)
	Inspect(f.Module, func(n Node) bool {
		if _, ok := n.(*Unknown); ok {
			t.Errorf("unexpected Unknown at %v: %q", n.Span(), src[n.Span().Start:n.Span().End])
		}
		return true
	})
	if lines := strings.Count(src, "\n"); lines < 2500 {
		t.Errorf("generated %d lines", lines)
	}
}
