// Command housecheck enforces the limits that keep lifeline easy to read
// and change for an engineer who joins tomorrow:
//
//   - no function outside a test file is over 100 lines;
//   - cmd/lifeline is under 2,000 lines of non-test Go, so that rules live
//     in the domain and the store, not in the command;
//   - no comparison of a database dialect (== or !=) outside the files of
//     the dialect type in store/, so that the difference between SQLite and
//     PostgreSQL sits behind one small type instead of being spread out;
//   - README.md is under 300 lines, written for users.
//
// It reads the Go files with go/parser, so a comment or a string that looks
// like code is never mistaken for it. Each failure is one line saying what
// and where; the exit status is 1 if there is any. scripts/check-house.sh
// runs it from the repository's root, and scripts/test.sh runs that.
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The limits.
const (
	maxFuncLines   = 100  // a function may have this many lines, no more
	cmdLineLimit   = 2000 // cmd/lifeline must stay under this many lines
	readmeLimit    = 300  // README.md must stay under this many lines
	cmdDir         = "cmd/lifeline"
	storeDir       = "store"
	dialectKeyword = "dialect"
)

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	problems, err := check(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "housecheck:", err)
		os.Exit(2)
	}
	for _, p := range problems {
		fmt.Println(p)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
}

// goFile is one parsed Go file that is not a test.
type goFile struct {
	path string // slash-separated, relative to the root
	dir  string
	ast  *ast.File
}

// check returns every broken limit in the tree at root, one line each.
func check(root string) ([]string, error) {
	fset := token.NewFileSet()
	files, err := parseTree(fset, root)
	if err != nil {
		return nil, err
	}
	var problems []string
	problems = append(problems, longFunctions(fset, files)...)
	p, err := commandSize(root, files)
	if err != nil {
		return nil, err
	}
	problems = append(problems, p...)
	problems = append(problems, dialectComparisons(fset, files)...)
	p, err = readmeSize(root)
	if err != nil {
		return nil, err
	}
	return append(problems, p...), nil
}

// parseTree parses every non-test, hand-written Go file under root,
// leaving out hidden directories, testdata and vendor, as the go command
// does.
func parseTree(fset *token.FileSet, root string) ([]goFile, error) {
	var files []goFile
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if ast.IsGenerated(f) {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		files = append(files, goFile{path: rel, dir: filepath.ToSlash(filepath.Dir(rel)), ast: f})
		return nil
	})
	return files, err
}

// longFunctions reports every function over maxFuncLines lines, counted from
// the func keyword to the closing brace. A function literal counts in the
// function it is written in; one at package level counts on its own.
func longFunctions(fset *token.FileSet, files []goFile) []string {
	var out []string
	report := func(f goFile, what string, n ast.Node) {
		start, end := fset.Position(n.Pos()).Line, fset.Position(n.End()).Line
		if lines := end - start + 1; lines > maxFuncLines {
			out = append(out, fmt.Sprintf("%s:%d: %s is %d lines, over %d: split it", f.path, start, what, lines, maxFuncLines))
		}
	}
	for _, f := range files {
		for _, decl := range f.ast.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				report(f, "function "+funcName(d), d)
			case *ast.GenDecl:
				ast.Inspect(d, func(n ast.Node) bool {
					if lit, ok := n.(*ast.FuncLit); ok {
						report(f, "function literal", lit)
						return false
					}
					return true
				})
			}
		}
	}
	return out
}

// funcName is a function's name as a reader looks for it: Type.Method for a
// method.
func funcName(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return d.Name.Name
	}
	t := d.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	switch r := t.(type) {
	case *ast.IndexExpr: // a generic type
		t = r.X
	case *ast.IndexListExpr:
		t = r.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + d.Name.Name
	}
	return d.Name.Name
}

// commandSize reports cmd/lifeline at or over cmdLineLimit lines of
// non-test Go.
func commandSize(root string, files []goFile) ([]string, error) {
	total := 0
	for _, f := range files {
		if f.dir != cmdDir {
			continue
		}
		n, err := countLines(filepath.Join(root, filepath.FromSlash(f.path)))
		if err != nil {
			return nil, err
		}
		total += n
	}
	if total >= cmdLineLimit {
		return []string{fmt.Sprintf("%s: %d lines of non-test Go, must be under %d: move rules to the domain or the store", cmdDir, total, cmdLineLimit)}, nil
	}
	return nil, nil
}

// readmeSize reports a README.md at or over readmeLimit lines.
func readmeSize(root string) ([]string, error) {
	n, err := countLines(filepath.Join(root, "README.md"))
	if err != nil {
		return nil, err
	}
	if n >= readmeLimit {
		return []string{fmt.Sprintf("README.md: %d lines, must be under %d: move what engineers need to docs/", n, readmeLimit)}, nil
	}
	return nil, nil
}

// countLines counts a file's lines as wc -l does, plus a last line that
// has no newline.
func countLines(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	n := strings.Count(string(b), "\n")
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n, nil
}

// dialectType is what the files under store/ declare about the dialect
// type: where it lives, and the names that stand for a dialect.
type dialectType struct {
	files   map[string]bool // the type's declaration and its methods
	consts  map[string]bool // constants of the type: SQLite, Postgres
	members map[string]bool // fields of the type and functions returning it
	pkgs    map[string]bool // package names under store/, for store.Postgres
}

// findDialectType collects what store/ declares about a type named dialect
// (in any case). The check does not type-check the program: a name is a
// dialect if it contains the word, or if store/ declares it a constant, a
// field or a function result of the dialect type.
func findDialectType(files []goFile) dialectType {
	dt := dialectType{files: map[string]bool{}, consts: map[string]bool{}, members: map[string]bool{}, pkgs: map[string]bool{}}
	isDialect := func(e ast.Expr) bool {
		if s, ok := e.(*ast.StarExpr); ok {
			e = s.X
		}
		id, ok := e.(*ast.Ident)
		return ok && strings.EqualFold(id.Name, dialectKeyword)
	}
	for _, f := range files {
		if !underStore(f.dir) {
			continue
		}
		dt.pkgs[f.ast.Name.Name] = true
		for _, decl := range f.ast.Decls {
			switch d := decl.(type) {
			case *ast.GenDecl:
				dt.collectGen(f, d, isDialect)
			case *ast.FuncDecl:
				if d.Recv != nil && len(d.Recv.List) > 0 && isDialect(d.Recv.List[0].Type) {
					dt.files[f.path] = true
				}
				if d.Type.Results != nil && slices.ContainsFunc(d.Type.Results.List, func(r *ast.Field) bool { return isDialect(r.Type) }) {
					dt.members[d.Name.Name] = true
				}
			}
		}
	}
	return dt
}

// collectGen records the dialect type's declaration, its constants (an
// iota block's untyped followers included) and struct fields of the type.
func (dt *dialectType) collectGen(f goFile, d *ast.GenDecl, isDialect func(ast.Expr) bool) {
	typedBlock := false
	for _, spec := range d.Specs {
		switch s := spec.(type) {
		case *ast.TypeSpec:
			if strings.EqualFold(s.Name.Name, dialectKeyword) {
				dt.files[f.path] = true
			}
			if st, ok := s.Type.(*ast.StructType); ok {
				for _, fld := range st.Fields.List {
					if isDialect(fld.Type) {
						for _, n := range fld.Names {
							dt.members[n.Name] = true
						}
					}
				}
			}
		case *ast.ValueSpec:
			if d.Tok != token.CONST {
				continue
			}
			switch {
			case s.Type != nil:
				typedBlock = isDialect(s.Type)
			case len(s.Values) > 0:
				typedBlock = false
			}
			if typedBlock {
				for _, n := range s.Names {
					dt.consts[n.Name] = true
				}
			}
		}
	}
}

func underStore(dir string) bool { return dir == storeDir || strings.HasPrefix(dir, storeDir+"/") }

// dialectComparisons reports every == or != on a dialect outside the files
// of the dialect type.
func dialectComparisons(fset *token.FileSet, files []goFile) []string {
	dt := findDialectType(files)
	var out []string
	for _, f := range files {
		if dt.files[f.path] {
			continue
		}
		inStore := underStore(f.dir)
		ast.Inspect(f.ast, func(n ast.Node) bool {
			b, ok := n.(*ast.BinaryExpr)
			if !ok || (b.Op != token.EQL && b.Op != token.NEQ) {
				return true
			}
			if dt.names(b.X, inStore) || dt.names(b.Y, inStore) {
				pos := fset.Position(b.Pos())
				out = append(out, fmt.Sprintf("%s:%d: dialect comparison %s outside the dialect type: put the difference behind the type in store/", f.path, pos.Line, exprString(b)))
			}
			return true
		})
	}
	return out
}

// names reports whether e stands for a dialect.
func (dt *dialectType) names(e ast.Expr, inStore bool) bool {
	switch x := e.(type) {
	case *ast.ParenExpr:
		return dt.names(x.X, inStore)
	case *ast.CallExpr:
		return dt.names(x.Fun, inStore)
	case *ast.Ident:
		return mentionsDialect(x.Name) || inStore && (dt.consts[x.Name] || dt.members[x.Name])
	case *ast.SelectorExpr:
		if mentionsDialect(x.Sel.Name) {
			return true
		}
		if pkg, ok := x.X.(*ast.Ident); ok && dt.pkgs[pkg.Name] && (dt.consts[x.Sel.Name] || dt.members[x.Sel.Name]) {
			return true
		}
		return inStore && dt.members[x.Sel.Name]
	}
	return false
}

func mentionsDialect(name string) bool {
	return strings.Contains(strings.ToLower(name), dialectKeyword)
}

// exprString prints a short comparison the way it was written, enough to
// find it on the line.
func exprString(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return exprString(x.X) + "." + x.Sel.Name
	case *ast.CallExpr:
		return exprString(x.Fun) + "()"
	case *ast.ParenExpr:
		return "(" + exprString(x.X) + ")"
	case *ast.BinaryExpr:
		return exprString(x.X) + " " + x.Op.String() + " " + exprString(x.Y)
	case *ast.BasicLit:
		return x.Value
	}
	return "…"
}
