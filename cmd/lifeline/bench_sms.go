package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/sms"
	"github.com/lifeline-health/lifeline/store"
)

func init() { registerBench("sms", runBenchSMS) }

// benchToken signs the benchmark's requests; the gateway child gets it as
// TWILIO_AUTH_TOKEN.
const benchToken = "0123456789abcdef0123456789abcdef"

// bareTwiML is what the bare handler answers: a typical status reply.
const bareTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response><Message>张*丰 绿码 4/9 08:00采样 阴性</Message></Response>`

// runBenchSMS measures the SMS gateway on loopback against a bare net/http
// handler that answers a constant TwiML, in the same run and on the same
// load generator: both run as child processes of this one (the real
// `lifeline serve` on a seeded SQLite store, and `bench sms --bare-serve`),
// so each is measured as a process of its own, memory included.
func runBenchSMS(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("bench sms")
	phones := fs.Int("phones", 5000, app.T("绑定了居民的不同手机号数量", "distinct phones bound to residents"))
	duration := fs.Duration("duration", 10*time.Second, app.T("每个吞吐量阶段的时长", "length of each throughput phase"))
	overload := fs.Duration("overload", 30*time.Second, app.T("10 倍过载阶段的时长", "length of the 10x overload phase"))
	rounds := fs.Int("rounds", 4, app.T("最大吞吐量阶段分几轮交替测量空白处理器与网关（抵消机器上其他负载的起伏）", "rounds in which the maximum-throughput phase alternates between the bare handler and the gateway (evens out other load on the machine)"))
	conns := fs.Int("conns", 256, app.T("测最大吞吐量时的并发连接数", "concurrent connections when measuring the maximum"))
	body := fs.String("text", "查询", app.T("发送的短信内容", "the text sent"))
	bare := fs.String("bare-serve", "", app.T("（内部）在此地址运行空白处理器", "(internal) run the bare handler on this address"))
	load := fs.Float64("load", 0.8, app.T("第 2 阶段的负载，占网关最大吞吐量的比例", "phase 2's load, as a fraction of the gateway's maximum"))
	cpuprofile := fs.String("cpuprofile", "", app.T("把网关在最大吞吐量阶段（含预热）的 CPU 剖析写入此文件", "write the gateway's CPU profile over the maximum-throughput phase (warm-up included) to this file"))
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *bare != "" {
		return serveBare(ctx, *bare)
	}
	if *phones < 1 || *duration <= 0 || *overload <= 0 || *conns < 1 || *rounds < 1 || *load <= 0 {
		return app.usagef("参数必须为正", "the numbers must be positive")
	}
	say := func(zh, en string, a ...any) { fmt.Fprintf(app.Stdout, app.T(zh, en), a...) }

	dir, err := os.MkdirTemp("", "lifeline-bench-sms-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	dbPath := filepath.Join(dir, "bench.db")
	say("准备：%d 个绑定手机号的居民写入 %s …\n", "seeding %d residents with bound phones into %s …\n", *phones, dbPath)
	numbers, err := seedBenchPhones(ctx, dbPath, *phones)
	if err != nil {
		return err
	}

	exe, err := os.Executable()
	if err != nil {
		return err
	}
	gwAddr, err := freeAddr()
	if err != nil {
		return err
	}
	// The per-number limit is set out of the way (it still runs on every
	// request): this measures the gateway, not the limit.
	var gwEnv []string
	if *cpuprofile != "" {
		if *cpuprofile, err = filepath.Abs(*cpuprofile); err != nil {
			return err
		}
		os.Remove(*cpuprofile)
		gwEnv = append(gwEnv, benchProfileEnv+"="+*cpuprofile)
	}
	gw, err := startChild(ctx, exe, gwAddr, gwEnv, "--db", dbPath, "serve", "--addr", gwAddr, "--public-url", "http://"+gwAddr, "--rate-burst", "1000000000")
	if err != nil {
		return err
	}
	defer gw.stop()
	bareAddr, err := freeAddr()
	if err != nil {
		return err
	}
	bh, err := startChild(ctx, exe, bareAddr, nil, "bench", "sms", "--bare-serve", bareAddr)
	if err != nil {
		return err
	}
	defer bh.stop()

	gen := newLoadGen(numbers, *body, 4096)
	gwURL, bareURL := "http://"+gwAddr+"/sms", "http://"+bareAddr+"/sms"
	// A short warm-up of both, so connection setup and first-use costs are
	// not measured.
	gen.closed(ctx, bareURL, *conns, time.Second/2)
	gen.closed(ctx, gwURL, *conns, time.Second/2)

	say("\n1. 最大吞吐量（%d 个并发连接，各 %s，分 %d 轮交替）\n", "\n1. maximum throughput (%d connections, %s each, alternating in %d rounds)\n", *conns, *duration, *rounds)
	// Both are measured by the same client, with the same connections
	// (kept alive), in alternating slices: a burst of other work on this
	// machine then lands on both alike instead of on whichever ran at the
	// time.
	bareRes, gwRes := &result{}, &result{}
	var bareCPU, gwCPU time.Duration
	for i := 0; i < *rounds; i++ {
		c0 := bh.cpu()
		b := gen.closed(ctx, bareURL, *conns, *duration/time.Duration(*rounds))
		bareCPU += bh.cpu() - c0
		bareRes.merge(b)
		bareRes.elapsed += b.elapsed
		c0 = gw.cpu()
		g := gen.closed(ctx, gwURL, *conns, *duration/time.Duration(*rounds))
		gwCPU += gw.cpu() - c0
		gwRes.merge(g)
		gwRes.elapsed += g.elapsed
	}
	if *cpuprofile != "" {
		gw.stopProfile()
		if waitFile(*cpuprofile, 10*time.Second) {
			say("   网关 CPU 剖析：%s\n", "   gateway CPU profile: %s\n", *cpuprofile)
		} else {
			say("   未能写出网关 CPU 剖析\n", "   the gateway's CPU profile was not written\n")
		}
	}
	ratio := gwRes.rps() / bareRes.rps()
	say("   空白 net/http 处理器：%8.0f 次/秒  p50 %s  p99 %s  错误 %d\n", "   bare net/http handler: %8.0f req/s  p50 %s  p99 %s  errors %d\n", bareRes.rps(), bareRes.pct(50), bareRes.pct(99), bareRes.errors)
	say("   短信网关：            %8.0f 次/秒  p50 %s  p99 %s  错误 %d  503 %d\n", "   SMS gateway:           %8.0f req/s  p50 %s  p99 %s  errors %d  503 %d\n", gwRes.rps(), gwRes.pct(50), gwRes.pct(99), gwRes.errors, gwRes.shed)
	say("   服务进程每次应答耗用 CPU：空白处理器 %s，网关 %s（其余为负载生成器与内核）\n", "   server CPU per answered request: bare handler %s, gateway %s (the rest goes to the load generator and the kernel)\n", perRequest(bareCPU, bareRes.ok), perRequest(gwCPU, gwRes.ok))
	if bareCPU > 0 && gwCPU > 0 && bareRes.ok > 0 && gwRes.ok > 0 {
		// What the ratio would be with the load generator elsewhere and
		// the servers CPU-bound: their CPU per request, inverted. The
		// ratio itself counts the generator's share of the same cores
		// against both servers alike, which pulls it towards 100%.
		perCore := (float64(bareCPU) / float64(bareRes.ok)) / (float64(gwCPU) / float64(gwRes.ok))
		say("   按服务进程 CPU 计：网关每核应答量为空白处理器的 %.1f%%\n", "   by server CPU alone: the gateway answers %.1f%% as many requests per core as the bare handler\n", 100*perCore)
	}
	say("   比值：%.1f%%（目标 ≥ 60%%）%s\n", "   ratio: %.1f%% (target >= 60%%) %s\n", 100*ratio, verdict(app, ratio >= 0.6))
	if gwRes.ok == 0 {
		return lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T("网关没有成功应答任何请求", "the gateway answered no request successfully"))
	}

	rate := *load * gwRes.rps()
	say("\n2. 80%% 负载：每秒 %.0f 次，按时发出（开环），%s（之前以同样速率预热 1 秒，不计入）\n", "\n2. 80%% load: %.0f req/s on a fixed schedule (open loop), %s (after 1 s at the same rate, not counted)\n", rate, *duration)
	// The first fraction of a second of an open-loop phase measures this
	// generator opening hundreds of new connections on the cores the
	// gateway runs on (p99 over 100 ms in that window, 5-40 ms after it);
	// a surge's callers arrive on connections of their own.
	gen.open(ctx, gwURL, rate, time.Second, 1024)
	before, _ := handlerHistogram("http://" + gwAddr + "/metrics")
	c0, g0 := gw.cpu(), processCPU()
	at80 := gen.open(ctx, gwURL, rate, *duration, 1024)
	at80CPU, genCPU := gw.cpu()-c0, processCPU()-g0
	after, _ := handlerHistogram("http://" + gwAddr + "/metrics")
	say("   完成 %d  p50 %s  p99 %s（自发出起 p99 %s）  503 %d  错误 %d  发不出 %d\n", "   done %d  p50 %s  p99 %s (from send: p99 %s)  503 %d  errors %d  not sent %d\n",
		at80.ok, at80.pct(50), at80.pct(99), percentile(at80.sendLat, 99), at80.shed, at80.errors, at80.dropped)
	// The gateway's own histogram counts from its handler's start: the
	// rest of what the client saw was spent queued before it (in the
	// kernel, waiting for a CPU the load generator shares).
	if p50, p99, ok := histogramQuantiles(before, after); ok {
		at := func(d time.Duration) string {
			switch {
			case d < 0 && len(after) < 2: // only a +Inf bucket
				return "?"
			case d < 0:
				return "> " + time.Duration(after[len(after)-2].le*float64(time.Second)).String()
			}
			return "≤ " + d.String()
		}
		say("   网关处理器自身计时（/metrics 直方图）：p50 %s，p99 %s\n", "   the gateway's handler time (its /metrics histogram): p50 %s, p99 %s\n", at(p50), at(p99))
	}
	say("   网关每次应答耗用 CPU %s，占 %.0f%% 个核；负载生成器占 %.0f%% 个核\n", "   gateway CPU per answered request %s, %.0f%% of a core; the load generator used %.0f%% of a core\n",
		perRequest(at80CPU, at80.ok+at80.shed), 100*at80CPU.Seconds()/at80.elapsed.Seconds(), 100*genCPU.Seconds()/at80.elapsed.Seconds())
	say("   p99 < 50 ms：%s\n", "   p99 < 50 ms: %s\n", verdict(app, at80.pct(99) < 50*time.Millisecond))

	rssBefore := gw.rss()
	rate10 := 10 * gwRes.rps()
	say("\n3. 10 倍过载：每秒 %.0f 次，%s\n", "\n3. 10x overload: %.0f req/s offered, %s\n", rate10, *overload)
	var peak atomic.Int64
	sampleCtx, stopSample := context.WithCancel(ctx)
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if r := gw.rss(); r > peak.Load() {
				peak.Store(r)
			}
			select {
			case <-sampleCtx.Done():
				return
			case <-t.C:
			}
		}
	}()
	over := gen.open(ctx, gwURL, rate10, *overload, 4096)
	gen.client.CloseIdleConnections()
	stopSample()
	<-sampled
	// The flood leaves connections queued in the kernel; the gateway must
	// drain them and answer /healthz again, without restarting.
	recovered := time.Now()
	alive := false
	for gw.alive() && time.Since(recovered) < 30*time.Second {
		if alive = healthy(gwAddr); alive {
			break
		}
	}
	recovery := time.Since(recovered)
	say("   实际发出 %.0f 次/秒；成功 %d（%.0f 次/秒），拒绝（503）%d，其他错误 %d，发不出 %d\n", "   offered %.0f req/s; answered %d (%.0f req/s), shed (503) %d, other errors %d, not sent %d\n",
		over.offered(), over.ok, float64(over.ok)/over.elapsed.Seconds(), over.shed, over.errors, over.dropped)
	say("   成功请求 p50 %s p99 %s（自发出起 p50 %s p99 %s）；拒绝 p99 %s\n", "   answered p50 %s p99 %s (from send: p50 %s p99 %s); shed p99 %s\n",
		over.pct(50), over.pct(99), percentile(over.sendLat, 50), percentile(over.sendLat, 99), over.shedPct(99))
	say("   网关内存：过载前 %s，过载中峰值 %s，进程峰值 (VmHWM) %s\n", "   gateway memory: %s before, peak %s during, process high-water mark (VmHWM) %s\n",
		mib(rssBefore), mib(peak.Load()), mib(gw.hwm()))
	say("   网关进程存活、未重启，过载结束 %s 后 /healthz 正常：%s\n", "   gateway process alive, never restarted, /healthz ok %s after the flood: %s\n", recovery.Round(time.Millisecond), verdict(app, alive && gw.alive()))
	return nil
}

// handlerHistogram reads the gateway's request-duration histogram from its
// /metrics: cumulative counts by upper bound, in the order given.
func handlerHistogram(metricsURL string) ([]histBucket, error) {
	resp, err := http.Get(metricsURL)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return parseHistogram(resp.Body, "lifeline_sms_request_duration_seconds_bucket")
}

type histBucket struct {
	le    float64 // +Inf for the last
	count int64
}

func parseHistogram(r io.Reader, name string) ([]histBucket, error) {
	var out []histBucket
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name+`{le="`)
		if !ok {
			continue
		}
		le, count, ok := strings.Cut(rest, `"} `)
		if !ok {
			return nil, fmt.Errorf("metrics: cannot read %q", line)
		}
		b := histBucket{}
		var err error
		if b.le, err = strconv.ParseFloat(strings.TrimPrefix(le, "+"), 64); err != nil {
			return nil, fmt.Errorf("metrics: bucket %q: %w", le, err)
		}
		if b.count, err = strconv.ParseInt(count, 10, 64); err != nil {
			return nil, fmt.Errorf("metrics: count %q: %w", count, err)
		}
		out = append(out, b)
	}
	return out, sc.Err()
}

// histogramQuantiles returns the upper bounds of the buckets holding the
// median and the 99th percentile of the requests counted between two
// readings of one histogram; -1 is beyond its largest finite bound.
func histogramQuantiles(before, after []histBucket) (p50, p99 time.Duration, ok bool) {
	if len(before) != len(after) || len(after) == 0 {
		return 0, 0, false
	}
	total := after[len(after)-1].count - before[len(before)-1].count
	if total <= 0 {
		return 0, 0, false
	}
	bound := func(q float64) time.Duration {
		for i := range after {
			if float64(after[i].count-before[i].count) >= q*float64(total) {
				if math.IsInf(after[i].le, 1) {
					return -1
				}
				return time.Duration(after[i].le * float64(time.Second))
			}
		}
		return -1
	}
	return bound(0.5), bound(0.99), true
}

func verdict(app *App, ok bool) string {
	if ok {
		return app.T("达标", "PASS")
	}
	return app.T("未达标", "FAIL")
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// seedBenchPhones stores n residents, each with a phone of its own and a
// status, and returns the phones.
func seedBenchPhones(ctx context.Context, path string, n int) ([]string, error) {
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	given := []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂")
	sampled := time.Now().Add(-20 * time.Hour)
	phones := make([]string, 0, n)
	const batch = 2000
	for from := 0; from < n; from += batch {
		b := &lifeline.ImportBatch{}
		for i := from; i < n && i < from+batch; i++ {
			first := fmt.Sprintf("110105%04d%02d%02d%03d", 1930+i%80, 1+i%12, 1+i%28, i%1000)
			c, _ := lifeline.MainlandIDCheckDigit(first)
			doc := lifeline.Document{Type: lifeline.DocMainlandID, Number: first + string(c)}
			p := fmt.Sprintf("+8615%09d", i)
			phones = append(phones, p)
			b.Residents = append(b.Residents, lifeline.Resident{
				Name:    string(surnames[i%len(surnames)]) + string(given[i/len(surnames)%len(given)]) + string(given[i%len(given)]),
				Doc:     doc,
				Phones:  []string{p},
				Address: lifeline.Address{Community: "幸福", Building: strconv.Itoa(1 + i/216), Unit: strconv.Itoa(1 + i/108%2), Room: strconv.Itoa(101 + i%108)},
			})
			b.Updates = append(b.Updates, lifeline.StatusUpdate{Doc: doc, Color: lifeline.Green, At: sampled,
				Test: &lifeline.TestResult{SampledAt: sampled, Result: lifeline.Negative, Site: "幸福社区"}})
		}
		if _, err := db.Import(ctx, b); err != nil {
			return nil, err
		}
	}
	return phones, nil
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// serveBare answers every request with the constant TwiML, the fastest a
// Go HTTP server on this machine can answer.
func serveBare(ctx context.Context, addr string) error {
	hs := &http.Server{Addr: addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		io.WriteString(w, bareTwiML)
	})}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// child is a server process the benchmark started.
type child struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// waitFile polls for a file to appear, up to d.
func waitFile(path string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func startChild(ctx context.Context, exe, addr string, env []string, args ...string) (*child, error) {
	cmd := exec.Command(exe, args...)
	cmd.Env = append(append(os.Environ(), "TWILIO_AUTH_TOKEN="+benchToken, "TWILIO_ACCOUNT_SID="), env...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	orphanProof(cmd)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(c.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for !healthy(addr) {
		select {
		case <-c.done:
			return nil, fmt.Errorf("%s %s exited before answering", filepath.Base(exe), strings.Join(args, " "))
		case <-ctx.Done():
			c.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, fmt.Errorf("%s did not start", addr)
		}
	}
	return c, nil
}

func healthy(addr string) bool {
	c := &http.Client{Timeout: 2 * time.Second}
	res, err := c.Get("http://" + addr + "/healthz")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == 200 || res.StatusCode == 404 // the bare handler answers anything
}

func (c *child) alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

func (c *child) stop() {
	if c.alive() {
		c.cmd.Process.Signal(os.Interrupt)
		select {
		case <-c.done:
		case <-time.After(15 * time.Second):
			c.cmd.Process.Kill()
			<-c.done
		}
	}
}

// procStatus reads one kB field of /proc/PID/status, in bytes.
func (c *child) procStatus(field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func (c *child) rss() int64 { return c.procStatus("VmRSS") }
func (c *child) hwm() int64 { return c.procStatus("VmHWM") }

// cpu is the CPU time the child has used so far (user and system), from
// /proc/PID/stat; 0 where there is none.
func (c *child) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: utime and stime are the 12th and 13th of them.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux Go runs on.
const clockTicks = 100

// perRequest is CPU time per answered request, or "?".
func perRequest(cpu time.Duration, ok int) string {
	if cpu <= 0 || ok == 0 {
		return "?"
	}
	return fmt.Sprintf("%.0f µs", float64(cpu.Microseconds())/float64(ok))
}

// loadGen plays Twilio: signed inbound messages, a fresh MessageSid each,
// from many distinct bound phones in turn.
type loadGen struct {
	phones []string
	body   string
	expect string // what every answer must hold
	next   atomic.Int64
	salt   uint64 // the first half of every MessageSid of this run
	client *http.Client
}

// sid is the MessageSid of message n of this run.
func (g *loadGen) sid(n int64) string {
	return fmt.Sprintf("SM%016x%016x", g.salt, scramble(uint64(n)))
}

// scramble is one-to-one on uint64 (SplitMix64's finalizer): message n
// gets a MessageSid of its own that looks as random as Twilio's do. A
// counter would put each new sid at the end of the store's sid index, a
// cheaper write than a real surge's sids, which land all over it.
func scramble(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func newLoadGen(phones []string, body string, maxConns int) *loadGen {
	// Idle connections are dropped before the gateway's IdleTimeout (5 s)
	// closes them: the pool hands out its most recent connection first, so
	// a few at its bottom sit idle for longer than that, and a POST sent on
	// one the server is closing fails with EOF (it is not retried).
	tr := &http.Transport{MaxIdleConns: maxConns, MaxIdleConnsPerHost: maxConns, IdleConnTimeout: 4 * time.Second}
	return &loadGen{phones: phones, body: body, expect: "绿码", salt: rand.Uint64(), client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// outcome of one request.
type outcome int

const (
	outOK outcome = iota
	outShed
	outError
)

// do sends one signed message to target.
func (g *loadGen) do(ctx context.Context, target string) outcome {
	n := g.next.Add(1)
	sid := g.sid(n)
	form := url.Values{"MessageSid": {sid}, "AccountSid": {"AC0123456789abcdef0123456789abcdef"}, "From": {g.phones[int(n)%len(g.phones)]},
		"To": {"+12025550100"}, "Body": {g.body}, "NumSegments": {"1"}}
	enc := form.Encode()
	req, err := http.NewRequestWithContext(ctx, "POST", target, strings.NewReader(enc))
	if err != nil {
		return outError
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sms.Signature(benchToken, target, form))
	res, err := g.client.Do(req)
	if err != nil {
		return outError
	}
	b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	res.Body.Close()
	switch res.StatusCode {
	case http.StatusOK:
		// Only a real status answer counts: a "busy, try later" reply
		// is an error, not throughput.
		if !strings.Contains(string(b), g.expect) {
			return outError
		}
		return outOK
	case http.StatusServiceUnavailable:
		return outShed
	}
	return outError
}

// result of one phase.
type result struct {
	ok, shed, errors, dropped, sent int
	elapsed                         time.Duration
	lat, shedLat                    []time.Duration
	// sendLat is the latency of answered requests from the moment they
	// were sent, not scheduled: the server's part, without the generator's
	// own lag.
	sendLat []time.Duration
}

func (r *result) rps() float64 { return float64(r.ok) / r.elapsed.Seconds() }
func (r *result) offered() float64 {
	return float64(r.sent) / r.elapsed.Seconds()
}
func (r *result) pct(p float64) time.Duration     { return percentile(r.lat, p) }
func (r *result) shedPct(p float64) time.Duration { return percentile(r.shedLat, p) }

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	i := int(float64(len(d)-1) * p / 100)
	return d[i].Round(10 * time.Microsecond)
}

func (r *result) add(o outcome, d time.Duration) {
	r.sent++
	switch o {
	case outOK:
		r.ok++
		r.lat = append(r.lat, d)
	case outShed:
		r.shed++
		r.shedLat = append(r.shedLat, d)
	default:
		r.errors++
	}
}

func (r *result) merge(o *result) {
	r.ok += o.ok
	r.shed += o.shed
	r.errors += o.errors
	r.dropped += o.dropped
	r.sent += o.sent
	r.lat = append(r.lat, o.lat...)
	r.sendLat = append(r.sendLat, o.sendLat...)
	r.shedLat = append(r.shedLat, o.shedLat...)
}

// closed keeps conns requests in flight for d: the most the target
// answers.
func (g *loadGen) closed(ctx context.Context, target string, conns int, d time.Duration) *result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	total := &result{}
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &result{}
			for ctx.Err() == nil {
				t := time.Now()
				o := g.do(ctx, target)
				if ctx.Err() != nil && o == outError {
					break // cut off by the end of the phase
				}
				r.add(o, time.Since(t))
			}
			mu.Lock()
			total.merge(r)
			mu.Unlock()
		}()
	}
	wg.Wait()
	total.elapsed = time.Since(start)
	return total
}

// open sends rate requests a second on a fixed schedule for d, whatever the
// answers, as a surge of people does; latency counts from the scheduled
// moment, so a slow server cannot hide its queueing. At most maxInFlight
// requests are outstanding; a request due when that many are waiting is
// counted as not sent.
func (g *loadGen) open(ctx context.Context, target string, rate float64, d time.Duration, maxInFlight int) *result {
	jobs := make(chan time.Time)
	var mu sync.Mutex
	total := &result{}
	var wg sync.WaitGroup
	for i := 0; i < maxInFlight; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &result{}
			for due := range jobs {
				sent := time.Now()
				o := g.do(context.Background(), target)
				r.add(o, time.Since(due))
				if o == outOK {
					r.sendLat = append(r.sendLat, time.Since(sent))
				}
			}
			mu.Lock()
			total.merge(r)
			mu.Unlock()
		}()
	}
	start := time.Now()
	interval := time.Duration(float64(time.Second) / rate)
	dropped := 0
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if due.Sub(start) >= d || ctx.Err() != nil {
			break
		}
		if w := time.Until(due); w > time.Millisecond {
			time.Sleep(w)
		}
		select {
		case jobs <- due:
		default:
			dropped++
		}
	}
	close(jobs)
	wg.Wait()
	total.elapsed = time.Since(start)
	total.dropped = dropped
	return total
}
