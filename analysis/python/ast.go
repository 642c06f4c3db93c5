package python

// Range is a half-open span [Start, End) of byte offsets into a File's
// Source. Every node embeds one, which gives it the Span method.
type Range struct {
	Start, End int
}

// Span returns r itself; embedding Range gives every node this method.
func (r Range) Span() Range { return r }

// Len returns the number of bytes in r.
func (r Range) Len() int { return r.End - r.Start }

// Contains reports whether offset lies in r, counting the end offset as
// inside (a cursor just after an identifier is "at" that identifier).
func (r Range) Contains(offset int) bool { return r.Start <= offset && offset <= r.End }

// Node is any node of the syntax tree.
type Node interface {
	Span() Range
}

// Stmt is a statement node.
type Stmt interface {
	Node
	stmtNode()
}

// Expr is an expression node.
type Expr interface {
	Node
	exprNode()
}

// Module is the root of a file's syntax tree.
type Module struct {
	Range
	Body []Stmt
}

// Unknown stands for a statement or expression that could not be converted:
// a syntax error, or a construct this package does not model (match,
// await, yield, Python 2 print, type aliases…). Kind is the tree-sitter node
// kind ("ERROR" for syntax errors). Parts holds the well-formed statements
// and expressions found inside it, so that lookups still see them.
type Unknown struct {
	Range
	Kind  string
	Parts []Node
}

// --- Statements ---

// Import is `import a.b as c, d`.
type Import struct {
	Range
	Names []*Alias
}

// ImportFrom is `from .mod import a as b, c` or `from mod import *`.
type ImportFrom struct {
	Range
	Module      string // dotted module name without the leading dots; "" for `from . import x`
	ModuleRange Range  // the dots and the dotted name
	Level       int    // number of leading dots (relative import)
	Names       []*Alias
	Star        bool  // `import *`
	StarRange   Range // the `*`, if Star
}

// Alias is one imported name: `a.b`, or `a.b as c` when AsName is set.
type Alias struct {
	Range
	Name        string // dotted name as written ("a.b")
	NameRange   Range
	AsName      string // "" when there is no `as`
	AsNameRange Range
}

// Assign is `t1 = t2 = value`. A target is any expression; `a, b = ...`
// has a *Tuple target.
type Assign struct {
	Range
	Targets []Expr
	Value   Expr
}

// AugAssign is `target op= value`; Op is the operator without `=` ("+").
type AugAssign struct {
	Range
	Target Expr
	Op     string
	Value  Expr
}

// AnnAssign is `target: annotation` with an optional `= value`.
type AnnAssign struct {
	Range
	Target     Expr
	Annotation Expr
	Value      Expr // nil when absent
}

// ExprStmt is an expression used as a statement (calls, docstrings).
type ExprStmt struct {
	Range
	X Expr
}

// ParamKind says how an argument binds to a parameter, as in Python's
// inspect module.
type ParamKind int

// The parameter kinds.
const (
	ParamPositionalOrKeyword ParamKind = iota
	ParamPositionalOnly                // before a `/`
	ParamVarPositional                 // *args
	ParamKeywordOnly                   // after `*` or *args
	ParamVarKeyword                    // **kwargs
)

// String returns the inspect-style name of k.
func (k ParamKind) String() string {
	switch k {
	case ParamPositionalOnly:
		return "POSITIONAL_ONLY"
	case ParamVarPositional:
		return "VAR_POSITIONAL"
	case ParamKeywordOnly:
		return "KEYWORD_ONLY"
	case ParamVarKeyword:
		return "VAR_KEYWORD"
	}
	return "POSITIONAL_OR_KEYWORD"
}

// Param is one parameter of a function or lambda. The bare `*` and `/`
// separators are not parameters; they set the Kind of their neighbours.
type Param struct {
	Range
	Name       string
	NameRange  Range
	Kind       ParamKind
	Annotation Expr // nil when absent
	Default    Expr // nil when absent
}

// FunctionDef is a `def` (or `async def`), with its decorators; Range
// starts at the first decorator.
type FunctionDef struct {
	Range
	Decorators []Expr
	Async      bool
	Name       string
	NameRange  Range
	Params     []*Param
	Returns    Expr // return annotation, nil when absent
	Body       []Stmt
}

// ClassDef is a `class`, with its decorators (such as
// `@table_from_file("...")`); Range starts at the first decorator.
type ClassDef struct {
	Range
	Decorators []Expr
	Name       string
	NameRange  Range
	Bases      []Expr     // positional arguments, including *Starred
	Keywords   []*Keyword // metaclass=..., **kwargs
	Body       []Stmt
}

// Return is `return` with an optional value.
type Return struct {
	Range
	Value Expr // nil for a bare return
}

// If is `if test: body` with an optional else branch. As in Python's ast,
// an `elif` is an *If (with Elif set) that is the only statement of Else;
// its Range runs from `elif` to the end of the whole chain.
type If struct {
	Range
	Elif bool
	Test Expr
	Body []Stmt
	Else []Stmt
}

// For is `for target in iter: body else: orelse`.
type For struct {
	Range
	Async  bool
	Target Expr
	Iter   Expr
	Body   []Stmt
	Else   []Stmt
}

// While is `while test: body else: orelse`.
type While struct {
	Range
	Test Expr
	Body []Stmt
	Else []Stmt
}

// With is `with a as b, c: body`.
type With struct {
	Range
	Async bool
	Items []*WithItem
	Body  []Stmt
}

// WithItem is one `context as vars` of a with statement.
type WithItem struct {
	Range
	Context Expr
	Vars    Expr // nil when there is no `as`
}

// Try is try/except/else/finally.
type Try struct {
	Range
	Body     []Stmt
	Handlers []*ExceptHandler
	Else     []Stmt
	Finally  []Stmt
}

// ExceptHandler is `except Type as name: body` (or `except*`).
type ExceptHandler struct {
	Range
	Star      bool
	Type      Expr // nil for a bare except
	Name      string
	NameRange Range
	Body      []Stmt
}

// Pass is `pass`.
type Pass struct{ Range }

// Break is `break`.
type Break struct{ Range }

// Continue is `continue`.
type Continue struct{ Range }

// Global is `global a, b`.
type Global struct {
	Range
	Names []*Name
}

// Nonlocal is `nonlocal a, b`.
type Nonlocal struct {
	Range
	Names []*Name
}

// Delete is `del a, b[0]`.
type Delete struct {
	Range
	Targets []Expr
}

// Raise is `raise exc from cause`.
type Raise struct {
	Range
	Exc   Expr // nil for a bare raise
	Cause Expr // nil when there is no `from`
}

// Assert is `assert test, msg`.
type Assert struct {
	Range
	Test Expr
	Msg  Expr // nil when absent
}

// --- Expressions ---

// Name is an identifier.
type Name struct {
	Range
	ID string
}

// Attribute is `value.attr`.
type Attribute struct {
	Range
	Value     Expr
	Attr      string
	AttrRange Range
}

// Call is `func(args, keywords)`. Args holds positional arguments in order,
// including *Starred for `*xs` and a *GeneratorExp for `f(x for x in y)`;
// Keywords holds `name=value` and `**kwargs` (with an empty Arg).
type Call struct {
	Range
	Func      Expr
	Args      []Expr
	Keywords  []*Keyword
	ArgsRange Range // the parentheses and everything between them
}

// Keyword is `arg=value` in a call or class header, or `**value` when Arg
// is "".
type Keyword struct {
	Range
	Arg      string
	ArgRange Range
	Value    Expr
}

// Subscript is `value[index]`; `a[i, j]` has a *Tuple index.
type Subscript struct {
	Range
	Value Expr
	Index Expr
}

// Slice is `lower:upper:step` inside a subscript; each part may be nil.
type Slice struct {
	Range
	Lower, Upper, Step Expr
}

// BinOp is `left op right`, Op being the operator as written ("+", "//",
// "|", "@"…).
type BinOp struct {
	Range
	Left  Expr
	Op    string
	Right Expr
}

// UnaryOp is `op operand` with Op one of "-", "+", "~", "not".
type UnaryOp struct {
	Range
	Op      string
	Operand Expr
}

// BoolOp is `a and b and c` (or `or`): a run of one operator, flattened as
// Python's ast does (parentheses end a run).
type BoolOp struct {
	Range
	Op     string // "and" or "or"
	Values []Expr
}

// Compare is a possibly chained comparison `a < b <= c`: Ops[i] compares
// the previous operand with Comparators[i]. Ops are "==", "!=", "<", "<=",
// ">", ">=", "in", "not in", "is", "is not" (and "<>").
type Compare struct {
	Range
	Left        Expr
	Ops         []string
	Comparators []Expr
}

// IfExp is `body if test else orelse`.
type IfExp struct {
	Range
	Test, Body, OrElse Expr
}

// Lambda is `lambda params: body`.
type Lambda struct {
	Range
	Params []*Param
	Body   Expr
}

// List is `[a, b]`.
type List struct {
	Range
	Elts []Expr
}

// Tuple is `(a, b)` or a bare `a, b`.
type Tuple struct {
	Range
	Elts []Expr
}

// Set is `{a, b}`.
type Set struct {
	Range
	Elts []Expr
}

// Dict is `{k: v, **other}`.
type Dict struct {
	Range
	Items []*DictItem
}

// DictItem is `key: value`, or `**value` when Key is nil.
type DictItem struct {
	Range
	Key   Expr
	Value Expr
}

// Comprehension is one `for target in iter if cond...` clause.
type Comprehension struct {
	Range
	Async  bool
	Target Expr
	Iter   Expr
	Ifs    []Expr
}

// ListComp is `[elt for ...]`.
type ListComp struct {
	Range
	Elt        Expr
	Generators []*Comprehension
}

// SetComp is `{elt for ...}`.
type SetComp struct {
	Range
	Elt        Expr
	Generators []*Comprehension
}

// GeneratorExp is `(elt for ...)`.
type GeneratorExp struct {
	Range
	Elt        Expr
	Generators []*Comprehension
}

// DictComp is `{key: value for ...}`.
type DictComp struct {
	Range
	Key, Value Expr
	Generators []*Comprehension
}

// Int is an integer literal. Value is exact unless Overflow is set (the
// literal does not fit an int64; Text still has it).
type Int struct {
	Range
	Text     string
	Value    int64
	Overflow bool
}

// Float is a floating-point or imaginary literal.
type Float struct {
	Range
	Text  string
	Value float64
	Imag  bool // `1j`, `2.5J`
}

// StrPiece is one literal of an implicit concatenation `"a" "b"`.
type StrPiece struct {
	Range
	Prefix  string // as written, e.g. "r", "f", "Rb"
	Content Range  // between the quotes
}

// Str is a string literal, or an implicit concatenation of them, with
// escapes decoded (unless raw) into Value.
type Str struct {
	Range
	Value  string
	Pieces []StrPiece
}

// Bytes is a bytes literal (or a concatenation of them); Value holds the
// bytes.
type Bytes struct {
	Range
	Value  string
	Pieces []StrPiece
}

// FString is an f-string, or an implicit concatenation in which at least
// one piece is an f-string. Parts alternate between literal text and
// replacement fields, in source order.
type FString struct {
	Range
	Parts  []FStringPart
	Pieces []StrPiece
}

// FStringPart is an *FStringText or an *FStringExpr.
type FStringPart interface {
	Node
	fstringPart()
}

// FStringText is literal text of an f-string, escapes and `{{`/`}}`
// decoded. Its Range covers the source text it came from (adjacent literal
// pieces of a concatenation are kept separate).
type FStringText struct {
	Range
	Value string
}

// FStringExpr is a replacement field `{expr=!r:spec}`.
type FStringExpr struct {
	Range
	Expr       Expr
	Debug      bool          // `{x=}`
	Conversion byte          // 'r', 's', 'a' or 0
	FormatSpec []FStringPart // nil when there is no format spec
}

// Bool is True or False.
type Bool struct {
	Range
	Value bool
}

// NoneLit is None.
type NoneLit struct{ Range }

// Ellipsis is `...`.
type Ellipsis struct{ Range }

// Starred is `*value` in a call, a display or an assignment target.
type Starred struct {
	Range
	Value Expr
}

// NamedExpr is `target := value`.
type NamedExpr struct {
	Range
	Target *Name
	Value  Expr
}

func (*Unknown) stmtNode()     {}
func (*Import) stmtNode()      {}
func (*ImportFrom) stmtNode()  {}
func (*Assign) stmtNode()      {}
func (*AugAssign) stmtNode()   {}
func (*AnnAssign) stmtNode()   {}
func (*ExprStmt) stmtNode()    {}
func (*FunctionDef) stmtNode() {}
func (*ClassDef) stmtNode()    {}
func (*Return) stmtNode()      {}
func (*If) stmtNode()          {}
func (*For) stmtNode()         {}
func (*While) stmtNode()       {}
func (*With) stmtNode()        {}
func (*Try) stmtNode()         {}
func (*Pass) stmtNode()        {}
func (*Break) stmtNode()       {}
func (*Continue) stmtNode()    {}
func (*Global) stmtNode()      {}
func (*Nonlocal) stmtNode()    {}
func (*Delete) stmtNode()      {}
func (*Raise) stmtNode()       {}
func (*Assert) stmtNode()      {}

func (*Unknown) exprNode()      {}
func (*Name) exprNode()         {}
func (*Attribute) exprNode()    {}
func (*Call) exprNode()         {}
func (*Subscript) exprNode()    {}
func (*Slice) exprNode()        {}
func (*BinOp) exprNode()        {}
func (*UnaryOp) exprNode()      {}
func (*BoolOp) exprNode()       {}
func (*Compare) exprNode()      {}
func (*IfExp) exprNode()        {}
func (*Lambda) exprNode()       {}
func (*List) exprNode()         {}
func (*Tuple) exprNode()        {}
func (*Set) exprNode()          {}
func (*Dict) exprNode()         {}
func (*ListComp) exprNode()     {}
func (*SetComp) exprNode()      {}
func (*GeneratorExp) exprNode() {}
func (*DictComp) exprNode()     {}
func (*Int) exprNode()          {}
func (*Float) exprNode()        {}
func (*Str) exprNode()          {}
func (*Bytes) exprNode()        {}
func (*FString) exprNode()      {}
func (*Bool) exprNode()         {}
func (*NoneLit) exprNode()      {}
func (*Ellipsis) exprNode()     {}
func (*Starred) exprNode()      {}
func (*NamedExpr) exprNode()    {}

func (*FStringText) fstringPart() {}
func (*FStringExpr) fstringPart() {}
