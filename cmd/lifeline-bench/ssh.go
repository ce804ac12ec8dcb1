package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	gossh "golang.org/x/crypto/ssh"
)

// findDebounce is how long the find screen waits after a keystroke
// before it searches (tui's default): a wait on purpose, so that a worker
// typing "1234" starts one search, not four. Keystroke figures leave it
// out, as BenchmarkFindAsYouType does.
const findDebounce = 120 * time.Millisecond

// runSSH measures the staff screen over SSH: the real lifeline tui
// --ssh-addr as a child process on a store of --residents, and --sessions
// SSH sessions at once, each logged in with a key and typing searches
// (ID tails, names, building-unit-room, phone tails) key by key, waiting
// for each answer and a moment more, as a worker types, and pausing
// between searches as a worker does (--pause 0 types without a break).
// It reports the
// time from a keystroke to the answer on the client's screen, less the
// find screen's deliberate wait, and the server's memory per session.
func runSSH(ctx context.Context, app *Bench, args []string) error {
	fs := app.newFlagSet("ssh")
	n := fs.Int("residents", 1_000_000, app.T("库中居民数（首次生成后缓存于临时目录）", "residents in the store (made once, then kept in the temp dir)"))
	sessions := fs.Int("sessions", 100, app.T("同时打开的 SSH 会话数", "SSH sessions at once"))
	perSession := fs.Int("keys", 60, app.T("每个会话按键次数", "keystrokes per session"))
	think := fs.Duration("think", 150*time.Millisecond, app.T("看到结果后到下一次按键的停顿", "pause between an answer and the next key"))
	pause := fs.Duration("pause", 3*time.Second, app.T("两次查找之间的平均停顿（与居民交谈、打印；随机 ±50%）", "average pause between two searches (talking to the resident, printing; random ±50%)"))
	db := fs.String("db", os.Getenv("LIFELINE_BENCH_DB"), app.T("用已有的库（默认：缓存的生成库）", "use this store (default: the cached seeded one)"))
	cpuprofile := fs.String("cpuprofile", "", app.T("把服务器从启动到输入结束的 CPU 剖析写入此文件", "write the server's CPU profile, from its start to the end of the typing, to this file"))
	if err := parse(fs, args); err != nil {
		return err
	}
	if *cpuprofile != "" {
		abs, err := filepath.Abs(*cpuprofile)
		if err != nil {
			return err
		}
		*cpuprofile = abs
		os.Remove(abs)
	}
	dir, err := os.MkdirTemp("", "lifeline-bench-ssh-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	exe, err := buildLifeline(ctx, dir, *cpuprofile)
	if err != nil {
		return err
	}
	if *db == "" {
		if *db, err = cachedStore(ctx, app, exe, *n); err != nil {
			return err
		}
	}
	signer, err := benchStaff(ctx, exe, *db, dir)
	if err != nil {
		return err
	}
	typed, err := benchQueries(ctx, *db, *sessions**perSession)
	if err != nil {
		return err
	}
	srv, addr, hostKey, err := startSSHChild(ctx, exe, *db, dir, *sessions)
	if err != nil {
		return err
	}
	defer srv.stop()
	idle := srv.rssAnon()
	terms, err := openTerminals(addr, signer, hostKey, *sessions)
	if err != nil {
		return err
	}
	opened := srv.rssAnon()
	cpu0, own0, load0, start := srv.cpu(), processCPU(), loadAverage(), time.Now()
	lat, skipped, err := typeAll(terms, typed, *perSession, *think, *pause)
	wall, cpu, own, load := time.Since(start), srv.cpu()-cpu0, processCPU()-own0, loadAverage()
	typedRSS, mapped := srv.rssAnon(), srv.rss()
	if *cpuprofile != "" {
		srv.stopProfile()
		if waitFile(*cpuprofile, 10*time.Second) {
			app.say("服务器 CPU 剖析：%s\n", "server CPU profile: %s\n", *cpuprofile)
		}
	}
	for _, t := range terms {
		t.client.Close()
	}
	if err != nil {
		return err
	}
	reportSSH(app, lat, skipped, *sessions, idle, opened, typedRSS, mapped, cpu, wall)
	app.say("本测试的 SSH 客户端：CPU %.1f 秒；本机一分钟负载：开始 %s，结束 %s（2 核）\n", "this benchmark's SSH clients: %.1f s of CPU; the machine's one-minute load average: %s at the start, %s at the end\n",
		own.Seconds(), load0, load)
	return nil
}

// loadAverage is the machine's one-minute load average, as uptime says it.
func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.Join(strings.Fields(string(b))[:min(1, len(strings.Fields(string(b))))], "")
}

// reportSSH prints the figures.
func reportSSH(app *Bench, lat []time.Duration, skipped, sessions int, idle, opened, typed, mapped int64, cpu, wall time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	app.say("%d 个 SSH 会话同时输入：%d 次按键（另有 %d 次结果与前一次相同，未计）\n", "%d SSH sessions typing at once: %d keystrokes (%d more whose answer was the one already on screen, not counted)\n", sessions, len(lat), skipped)
	app.say("每次按键（扣除查找界面有意等待的 %v）：p50 %.1f ms，p99 %.1f ms，最慢 %.1f ms（目标 p99 < 50 ms）\n",
		"per keystroke (less the find screen's deliberate %v wait): p50 %.1f ms, p99 %.1f ms, worst %.1f ms (target: p99 < 50 ms)\n",
		findDebounce, ms(pct(0.5)), ms(pct(0.99)), ms(lat[len(lat)-1]))
	app.say("服务器自身内存（RssAnon）：无会话 %.0f MiB，%d 个会话登录后 %.0f MiB，输入后 %.0f MiB：每个会话约 %.2f MiB（登录后 %.2f MiB）；连同映射的数据库文件页 RSS %.0f MiB\n",
		"server's own memory (RssAnon): %.0f MiB with no session, %[2]d sessions logged in %.0f MiB, after typing %.0f MiB: about %.2f MiB a session (%.2f MiB once logged in); RSS with the pages of the store it maps %.0f MiB\n",
		mib(idle), sessions, mib(opened), mib(typed), mib(typed-idle)/float64(sessions), mib(opened-idle)/float64(sessions), mib(mapped))
	app.say("服务器 CPU：%.1f 秒，用时 %.1f 秒（%.0f%% 的一个核），每次按键 %.1f ms\n", "server CPU: %.1f s over %.1f s (%.0f%% of one core), %.1f ms a keystroke\n",
		cpu.Seconds(), wall.Seconds(), 100*cpu.Seconds()/wall.Seconds(), ms(cpu)/float64(len(lat)+skipped))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// cachedStore returns a store of n seeded residents under the temp dir,
// seeding it with lifeline seed the first time.
func cachedStore(ctx context.Context, app *Bench, exe string, n int) (string, error) {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("lifeline-bench-ssh-v2-%d.db", n))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	app.say("正在生成 %d 位居民的库 %s（仅首次）…\n", "seeding %d residents into %s (once)…\n", n, path)
	tmp := path + ".building"
	for _, suffix := range []string{"", "-wal", "-shm", "-log", "-log-wal", "-log-shm"} {
		os.Remove(tmp + suffix)
	}
	if out, err := exec.CommandContext(ctx, exe, "--db", tmp, "seed", "--residents", fmt.Sprint(n), "--quiet").CombinedOutput(); err != nil {
		return "", fmt.Errorf("seed: %w\n%s", err, out)
	}
	for _, suffix := range []string{"-log", ""} {
		if err := os.Rename(tmp+suffix, path+suffix); err != nil {
			return "", err
		}
	}
	return path, nil
}

// benchStaff adds the administrator bench with a key of its own (the same
// every run, so a kept store takes it once) and returns the key.
func benchStaff(ctx context.Context, exe, db, dir string) (gossh.Signer, error) {
	signer, err := gossh.NewSignerFromKey(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	if err != nil {
		return nil, err
	}
	pub := filepath.Join(dir, "bench.pub")
	if err := os.WriteFile(pub, gossh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
		return nil, err
	}
	add := exec.CommandContext(ctx, exe, "--lang", "en", "--db", db, "staff", "add", "--user", "bench", "--admin", "--password-stdin")
	add.Stdin = strings.NewReader("bench-password-1\n")
	if out, err := add.CombinedOutput(); err != nil && !strings.Contains(string(out), "already exists") {
		return nil, fmt.Errorf("staff add: %w\n%s", err, out)
	}
	out, err := exec.CommandContext(ctx, exe, "--lang", "en", "--db", db, "staff", "key", "add", "--user", "bench", "--key", pub).CombinedOutput()
	if err != nil && !strings.Contains(string(out), "already added") {
		return nil, fmt.Errorf("staff key add: %w\n%s", err, out)
	}
	return signer, nil
}

// keystroke is what the search box holds after one key, and the answer
// the screen must then show: the count line and the first row's masked
// document ("" when nothing is found).
type keystroke struct {
	query, count, first string
}

// benchQueries picks residents at random and returns what typing their
// ID tail, name, address and phone tail key by key shows: at least n
// keystrokes, as the staff screen's search (an administrator's) answers.
func benchQueries(ctx context.Context, path string, n int) ([][]keystroke, error) {
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	ctx = lifeline.WithActor(ctx, lifeline.Actor{User: "staff:bench"})
	total, err := db.CountResidents(ctx)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var out [][]keystroke
	for keys := 0; keys < n; {
		r, err := db.Resident(ctx, int64(1+rng.IntN(total)))
		if lifeline.ErrorCode(err) == lifeline.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, err
		}
		qs := []string{r.Doc.Tail(4), r.Name, r.Address.Short()}
		if len(r.Phones) > 0 {
			qs = append(qs, lifeline.PhoneTail(r.Phones[0]))
		}
		q := qs[rng.IntN(len(qs))]
		var seq []keystroke
		for i := range q {
			if i == 0 && len(q) > 0 {
				continue
			}
			seq = append(seq, keystroke{query: q[:i]})
		}
		seq = append(seq, keystroke{query: q})
		valid := true
		for i := range seq {
			ms, err := db.FindResidents(ctx, lifeline.ResidentFilter{Query: seq[i].query, Limit: 50})
			if lifeline.ErrorCode(err) == lifeline.EINVALID {
				valid = false // the screen says what to type instead: not a search
				break
			}
			if err != nil {
				return nil, err
			}
			seq[i].count = fmt.Sprintf("“%s”", seq[i].query)
			if len(ms) > 0 {
				seq[i].count, seq[i].first = fmt.Sprintf("%d 条结果", len(ms)), ms[0].Resident.Doc.Masked()
			}
		}
		if valid {
			out = append(out, seq)
			keys += len(seq)
		}
	}
	return out, nil
}

var listening = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)

// startSSHChild starts lifeline tui --ssh-addr on the store and returns it,
// its address and its host key.
func startSSHChild(ctx context.Context, exe, db, dir string, sessions int) (*child, string, gossh.PublicKey, error) {
	key := filepath.Join(dir, "host_key")
	cmd := exec.Command(exe, "--lang", "zh", "--db", db, "tui", "--ssh-addr", "127.0.0.1:0", "--ssh-host-key", key,
		"--ssh-max-sessions", fmt.Sprint(sessions), "--ssh-idle", "1h", "--print-dir", filepath.Join(dir, "prints"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", nil, err
	}
	orphanProof(cmd)
	if err := cmd.Start(); err != nil {
		return nil, "", nil, err
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			if a := listening.FindString(s.Text()); a != "" {
				addr <- a
				break
			}
		}
		for s.Scan() {
		}
	}()
	go func() { cmd.Wait(); close(c.done) }()
	select {
	case a := <-addr:
		b, err := os.ReadFile(key)
		var signer gossh.Signer
		if err == nil {
			signer, err = gossh.ParsePrivateKey(b)
		}
		if err != nil {
			c.stop()
			return nil, "", nil, err
		}
		return c, a, signer.PublicKey(), nil
	case <-c.done:
		return nil, "", nil, fmt.Errorf("lifeline tui --ssh-addr exited before listening")
	case <-time.After(60 * time.Second):
		c.stop()
		return nil, "", nil, fmt.Errorf("lifeline tui --ssh-addr did not start")
	case <-ctx.Done():
		c.stop()
		return nil, "", nil, ctx.Err()
	}
}

// openTerminals logs n sessions in, a few at a time as workers arrive.
func openTerminals(addr string, signer gossh.Signer, hostKey gossh.PublicKey, n int) ([]*terminal, error) {
	terms := make([]*terminal, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range terms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			t, err := openTerminal(addr, "bench", signer, hostKey)
			terms[i] = t
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return terms, nil
}

// typeAll has every terminal type its share of the queries at once, key
// by key, and returns each keystroke's time to its answer less
// findDebounce, and how many keystrokes were not timed because their
// answer was already on the screen.
func typeAll(terms []*terminal, typed [][]keystroke, perSession int, think, pause time.Duration) ([]time.Duration, int, error) {
	var mu sync.Mutex
	var lat []time.Duration
	skipped := 0
	var wg sync.WaitGroup
	errs := make(chan error, len(terms))
	for i, t := range terms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine, same, err := t.typeQueries(typed, i, len(terms), perSession, think, pause)
			mu.Lock()
			lat, skipped = append(lat, mine...), skipped+same
			mu.Unlock()
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return nil, 0, err
		}
	}
	return lat, skipped, nil
}

// typeQueries types queries i, i+step, … until it has pressed keys keys,
// pausing about pause between two.
func (t *terminal) typeQueries(typed [][]keystroke, i, step, keys int, think, pause time.Duration) ([]time.Duration, int, error) {
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	// Sessions start at different moments, as workers do.
	time.Sleep(time.Duration(rng.Int64N(int64(pause) + 1)))
	var lat []time.Duration
	same := 0
	prev := keystroke{}
	for pressed := 0; pressed < keys; i += step {
		seq := typed[i%len(typed)]
		for k, ks := range seq {
			key := ks.query[len(prev.query):]
			if k == 0 {
				key = ks.query
			}
			start := time.Now()
			if _, err := fmt.Fprint(t.in, key); err != nil {
				return nil, 0, err
			}
			answered := func() bool {
				return t.screen.shows(1, "查找：> "+ks.query) && t.screen.shows(2, ks.count) && (ks.first == "" || t.screen.shows(4, ks.first))
			}
			if !t.screen.waitUntil(answered, 30*time.Second) {
				return nil, 0, fmt.Errorf("no answer for %q:\n%s", ks.query, t.screen.text())
			}
			if d := time.Since(start); ks.count == prev.count && ks.first == prev.first {
				same++
			} else {
				lat = append(lat, max(d-findDebounce, 0))
			}
			prev, pressed = ks, pressed+1
			time.Sleep(think)
		}
		// Clear the box for the next query, and wait for the empty screen.
		if _, err := fmt.Fprint(t.in, strings.Repeat("\x7f", len([]rune(prev.query)))); err != nil {
			return nil, 0, err
		}
		if !t.screen.waitUntil(func() bool { return t.screen.shows(3, "输入即查找") }, 30*time.Second) {
			return nil, 0, fmt.Errorf("the search box did not clear:\n%s", t.screen.text())
		}
		prev = keystroke{}
		time.Sleep(pause/2 + time.Duration(rng.Int64N(int64(pause)+1)))
	}
	return lat, same, nil
}
