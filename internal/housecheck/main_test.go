package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tree writes files (slash-separated path → content) under a temp dir.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, body := range files {
		path := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// lines returns n lines of text.
func lines(n int) string { return strings.Repeat("x\n", n) }

// function returns a Go function of exactly n lines.
func function(name string, n int) string {
	return "func " + name + "() {\n" + strings.Repeat("\tprintln()\n", n-2) + "}\n"
}

// clean is a tree that keeps every limit, each one just.
func clean() map[string]string {
	return map[string]string{
		"README.md":         lines(readmeLimit - 1),
		"lifeline.go":       "package lifeline\n\n" + function("Long", maxFuncLines),
		"lifeline_test.go":  "package lifeline\n\n" + function("TestLong", 3*maxFuncLines),
		"tui/testdata/x.go": "package x\n\n" + function("Skipped", 3*maxFuncLines),
		"cmd/lifeline/main.go": "package main\n\n" + function("main", 3) +
			strings.Repeat("// padding\n", cmdLineLimit-1-5),
		"cmd/lifeline/main_test.go": "package main\n" + strings.Repeat("// tests do not count\n", cmdLineLimit),
		"store/dialect.go": `package store

type dialect int

const (
	SQLite dialect = iota
	Postgres
)

type DB struct{ d dialect }

func (d dialect) numbered() bool { return d == Postgres }

func (db *DB) Dialect() dialect { return db.d }
`,
		"store/other.go": `package store

const limit = 3

func (db *DB) ok(n int) bool { return n == limit && db.d.numbered() }
`,
		"store/dialect_test.go": "package store\n\nfunc isPG(db *DB) bool { return db.d == Postgres }\n",
	}
}

func TestCleanTreePasses(t *testing.T) {
	got, err := check(tree(t, clean()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("a tree within every limit fails:\n%s", strings.Join(got, "\n"))
	}
}

func TestEachLimit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change map[string]string
		want   []string // one line each, in this order
	}{
		{
			name:   "long function",
			change: map[string]string{"paper/batch.go": "package paper\n\n" + function("Batch", maxFuncLines+1)},
			want:   []string{"paper/batch.go:3: function Batch is 101 lines, over 100"},
		},
		{
			name:   "long method and package-level literal",
			change: map[string]string{"tui/view.go": "package tui\n\ntype screen struct{}\n\n" + strings.Replace(function("view", 120), "func view", "func (s *screen) view", 1) + "\nvar f = func() {\n" + lines(99) + "}\n"},
			want:   []string{"tui/view.go:5: function screen.view is 120 lines", "tui/view.go:126: function literal is 101 lines"},
		},
		{
			name:   "command too big",
			change: map[string]string{"cmd/lifeline/more.go": "package main\n"},
			want:   []string{"cmd/lifeline: 2000 lines of non-test Go, must be under 2000"},
		},
		{
			name:   "README too long",
			change: map[string]string{"README.md": lines(readmeLimit)},
			want:   []string{"README.md: 300 lines, must be under 300"},
		},
		{
			name: "dialect compared outside its type",
			change: map[string]string{
				"store/other.go": "package store\n\nfunc (db *DB) ok() bool {\n\treturn db.d == SQLite\n}\n",
				"store/read.go":  "package store\n\nfunc (db *DB) pg() bool { return Postgres != db.Dialect() }\n",
				"store/name.go":  "package store\n\nfunc same(a, b *DB) bool { return a.dialect == b.dialect }\n",
				"upstream/x.go": "package upstream\n\nimport \"example/store\"\n\n" +
					"func pg(db *store.DB) bool { return db.Dialect() == store.Postgres }\n\n" +
					"func pg2(k int) bool { return k != store.SQLite }\n",
			},
			want: []string{
				"store/name.go:3: dialect comparison a.dialect == b.dialect outside the dialect type",
				"store/other.go:4: dialect comparison db.d == SQLite outside the dialect type",
				"store/read.go:3: dialect comparison Postgres != db.Dialect() outside the dialect type",
				"upstream/x.go:5: dialect comparison db.Dialect() == store.Postgres outside the dialect type",
				"upstream/x.go:7: dialect comparison k != store.SQLite outside the dialect type",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := clean()
			for p, body := range tc.change {
				files[p] = body
			}
			got, err := check(tree(t, files))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], w) || strings.Contains(got[i], "\n") {
					t.Errorf("problem %d = %q, want one line starting %q", i, got[i], w)
				}
			}
		})
	}
}

// A comment or a string that reads like a comparison is not code.
func TestDialectInTextIsNotCode(t *testing.T) {
	files := clean()
	files["store/text.go"] = "package store\n\n// if db.dialect == SQLite, nothing\nvar s = \"db.dialect == SQLite\"\n"
	got, err := check(tree(t, files))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("text flagged as code:\n%s", strings.Join(got, "\n"))
	}
}
