package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
)

// benchToken signs the benchmark's requests; the gateway child gets it as
// TWILIO_AUTH_TOKEN.
const benchToken = "0123456789abcdef0123456789abcdef"

// bareTwiML is what the bare handler answers: a typical status reply.
const bareTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response><Message>张*丰 绿码 4/9 08:00采样 阴性</Message></Response>`

// smsFlags are the benchmark's settings.
type smsFlags struct {
	phones, conns, rounds int
	duration, overload    time.Duration
	body                  string
	load                  float64
	cpuprofile, lifeline  string
}

// runSMS measures the SMS gateway on loopback against a bare net/http
// handler that answers a constant TwiML, in the same run and on the same
// load generator: both run as child processes of this one (the real
// `lifeline serve`, built from this source tree, on a seeded SQLite store,
// and this command again with --bare-serve), so each is measured as a
// process of its own, memory included.
func runSMS(ctx context.Context, app *Bench, args []string) error {
	fs := app.newFlagSet("sms")
	var f smsFlags
	fs.IntVar(&f.phones, "phones", 5000, app.T("绑定了居民的不同手机号数量", "distinct phones bound to residents"))
	fs.DurationVar(&f.duration, "duration", 10*time.Second, app.T("每个吞吐量阶段的时长", "length of each throughput phase"))
	fs.DurationVar(&f.overload, "overload", 30*time.Second, app.T("10 倍过载阶段的时长", "length of the 10x overload phase"))
	fs.IntVar(&f.rounds, "rounds", 4, app.T("最大吞吐量阶段分几轮交替测量空白处理器与网关（抵消机器上其他负载的起伏）", "rounds in which the maximum-throughput phase alternates between the bare handler and the gateway (evens out other load on the machine)"))
	fs.IntVar(&f.conns, "conns", 256, app.T("测最大吞吐量时的并发连接数", "concurrent connections when measuring the maximum"))
	fs.StringVar(&f.body, "text", "查询", app.T("发送的短信内容", "the text sent"))
	bare := fs.String("bare-serve", "", app.T("（内部）在此地址运行空白处理器", "(internal) run the bare handler on this address"))
	fs.Float64Var(&f.load, "load", 0.8, app.T("第 2 阶段的负载，占网关最大吞吐量的比例", "phase 2's load, as a fraction of the gateway's maximum"))
	fs.StringVar(&f.cpuprofile, "cpuprofile", "", app.T("把网关在最大吞吐量阶段（含预热）的 CPU 剖析写入此文件", "write the gateway's CPU profile over the maximum-throughput phase (warm-up included) to this file"))
	fs.StringVar(&f.lifeline, "lifeline", "", app.T("要测的 lifeline 可执行文件（默认：从本源码树构建）", "the lifeline executable to measure (default: built from this source tree)"))
	if err := parse(fs, args); err != nil {
		return err
	}
	if *bare != "" {
		return serveBare(ctx, *bare)
	}
	if f.phones < 1 || f.duration <= 0 || f.overload <= 0 || f.conns < 1 || f.rounds < 1 || f.load <= 0 {
		return app.usagef("参数必须为正", "the numbers must be positive")
	}
	if f.cpuprofile != "" && f.lifeline != "" {
		return app.usagef("--cpuprofile 需要从源码构建 lifeline，不能与 --lifeline 同用", "--cpuprofile builds lifeline from source, so it cannot go with --lifeline")
	}
	dir, err := os.MkdirTemp("", "lifeline-bench-sms-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	r, err := startSMSRig(ctx, app, dir, &f)
	if err != nil {
		return err
	}
	defer r.stop()
	return r.measure(ctx, app, &f)
}

// smsRig is what the benchmark drives: the gateway and the bare handler,
// running, and the load generator.
type smsRig struct {
	gw, bare       *child
	gwAddr         string
	gwURL, bareURL string
	gen            *loadGen
}

// startSMSRig seeds the store, builds lifeline, and starts both servers.
func startSMSRig(ctx context.Context, app *Bench, dir string, f *smsFlags) (*smsRig, error) {
	dbPath := filepath.Join(dir, "bench.db")
	app.say("准备：%d 个绑定手机号的居民写入 %s …\n", "seeding %d residents with bound phones into %s …\n", f.phones, dbPath)
	numbers, err := seedBenchPhones(ctx, dbPath, f.phones)
	if err != nil {
		return nil, err
	}
	if f.cpuprofile != "" {
		if f.cpuprofile, err = filepath.Abs(f.cpuprofile); err != nil {
			return nil, err
		}
		os.Remove(f.cpuprofile)
	}
	exe := f.lifeline
	if exe == "" {
		if exe, err = buildLifeline(ctx, dir, f.cpuprofile); err != nil {
			return nil, err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	r := &smsRig{gen: newLoadGen(numbers, f.body, 4096)}
	if r.gwAddr, err = freeAddr(); err != nil {
		return nil, err
	}
	// The per-number limit is set out of the way (it still runs on every
	// request): this measures the gateway, not the limit.
	r.gw, err = startChild(ctx, exe, r.gwAddr, "--db", dbPath, "serve", "--addr", r.gwAddr, "--public-url", "http://"+r.gwAddr, "--rate-burst", "1000000000")
	if err != nil {
		return nil, err
	}
	bareAddr, err := freeAddr()
	if err == nil {
		r.bare, err = startChild(ctx, self, bareAddr, "sms", "--bare-serve", bareAddr)
	}
	if err != nil {
		r.gw.stop()
		return nil, err
	}
	r.gwURL, r.bareURL = "http://"+r.gwAddr+"/sms", "http://"+bareAddr+"/sms"
	return r, nil
}

func (r *smsRig) stop() {
	r.bare.stop()
	r.gw.stop()
}

// measure runs the three phases.
func (r *smsRig) measure(ctx context.Context, app *Bench, f *smsFlags) error {
	// A short warm-up of both, so connection setup and first-use costs are
	// not measured.
	r.gen.closed(ctx, r.bareURL, f.conns, time.Second/2)
	r.gen.closed(ctx, r.gwURL, f.conns, time.Second/2)
	gwRes := r.maxThroughput(ctx, app, f)
	if gwRes.ok == 0 {
		return lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T("网关没有成功应答任何请求", "the gateway answered no request successfully"))
	}
	r.atLoad(ctx, app, f.load*gwRes.rps(), f.duration)
	r.overload(ctx, app, 10*gwRes.rps(), f.overload)
	return nil
}

// maxThroughput is phase 1: the most each server answers, and the ratio.
func (r *smsRig) maxThroughput(ctx context.Context, app *Bench, f *smsFlags) *result {
	app.say("\n1. 最大吞吐量（%d 个并发连接，各 %s，分 %d 轮交替）\n", "\n1. maximum throughput (%d connections, %s each, alternating in %d rounds)\n", f.conns, f.duration, f.rounds)
	// Both are measured by the same client, with the same connections
	// (kept alive), in alternating slices: a burst of other work on this
	// machine then lands on both alike instead of on whichever ran at the
	// time.
	bareRes, gwRes := &result{}, &result{}
	var bareCPU, gwCPU time.Duration
	slice := f.duration / time.Duration(f.rounds)
	for i := 0; i < f.rounds; i++ {
		bareCPU += r.bare.during(func() { bareRes.addPhase(r.gen.closed(ctx, r.bareURL, f.conns, slice)) })
		gwCPU += r.gw.during(func() { gwRes.addPhase(r.gen.closed(ctx, r.gwURL, f.conns, slice)) })
	}
	if f.cpuprofile != "" {
		r.gw.stopProfile()
		if waitFile(f.cpuprofile, 10*time.Second) {
			app.say("   网关 CPU 剖析：%s\n", "   gateway CPU profile: %s\n", f.cpuprofile)
		} else {
			app.say("   未能写出网关 CPU 剖析\n", "   the gateway's CPU profile was not written\n")
		}
	}
	ratio := gwRes.rps() / bareRes.rps()
	app.say("   空白 net/http 处理器：%8.0f 次/秒  p50 %s  p99 %s  错误 %d\n", "   bare net/http handler: %8.0f req/s  p50 %s  p99 %s  errors %d\n", bareRes.rps(), bareRes.pct(50), bareRes.pct(99), bareRes.errors)
	app.say("   短信网关：            %8.0f 次/秒  p50 %s  p99 %s  错误 %d  503 %d\n", "   SMS gateway:           %8.0f req/s  p50 %s  p99 %s  errors %d  503 %d\n", gwRes.rps(), gwRes.pct(50), gwRes.pct(99), gwRes.errors, gwRes.shed)
	app.say("   服务进程每次应答耗用 CPU：空白处理器 %s，网关 %s（其余为负载生成器与内核）\n", "   server CPU per answered request: bare handler %s, gateway %s (the rest goes to the load generator and the kernel)\n", perRequest(bareCPU, bareRes.ok), perRequest(gwCPU, gwRes.ok))
	if bareCPU > 0 && gwCPU > 0 && bareRes.ok > 0 && gwRes.ok > 0 {
		// What the ratio would be with the load generator elsewhere and
		// the servers CPU-bound: their CPU per request, inverted. The
		// ratio itself counts the generator's share of the same cores
		// against both servers alike, which pulls it towards 100%.
		perCore := (float64(bareCPU) / float64(bareRes.ok)) / (float64(gwCPU) / float64(gwRes.ok))
		app.say("   按服务进程 CPU 计：网关每核应答量为空白处理器的 %.1f%%\n", "   by server CPU alone: the gateway answers %.1f%% as many requests per core as the bare handler\n", 100*perCore)
	}
	app.say("   比值：%.1f%%（目标 ≥ 60%%）%s\n", "   ratio: %.1f%% (target >= 60%%) %s\n", 100*ratio, verdict(app, ratio >= 0.6))
	return gwRes
}

// atLoad is phase 2: latency at a fixed fraction of the gateway's maximum.
func (r *smsRig) atLoad(ctx context.Context, app *Bench, rate float64, d time.Duration) {
	app.say("\n2. 80%% 负载：每秒 %.0f 次，按时发出（开环），%s（之前以同样速率预热 1 秒，不计入）\n", "\n2. 80%% load: %.0f req/s on a fixed schedule (open loop), %s (after 1 s at the same rate, not counted)\n", rate, d)
	// The first fraction of a second of an open-loop phase measures this
	// generator opening hundreds of new connections on the cores the
	// gateway runs on; a surge's callers arrive on connections of their
	// own.
	r.gen.open(ctx, r.gwURL, rate, time.Second, 1024)
	metrics := "http://" + r.gwAddr + "/metrics"
	before, _ := handlerHistogram(metrics)
	var at80 *result
	g0 := processCPU()
	gwCPU := r.gw.during(func() { at80 = r.gen.open(ctx, r.gwURL, rate, d, 1024) })
	genCPU := processCPU() - g0
	after, _ := handlerHistogram(metrics)
	app.say("   完成 %d  p50 %s  p99 %s（自发出起 p99 %s）  503 %d  错误 %d  发不出 %d\n", "   done %d  p50 %s  p99 %s (from send: p99 %s)  503 %d  errors %d  not sent %d\n",
		at80.ok, at80.pct(50), at80.pct(99), percentile(at80.sendLat, 99), at80.shed, at80.errors, at80.dropped)
	// The gateway's own histogram counts from its handler's start: the
	// rest of what the client saw was spent queued before it (in the
	// kernel, waiting for a CPU the load generator shares).
	if p50, p99, ok := histogramQuantiles(before, after); ok {
		app.say("   网关处理器自身计时（/metrics 直方图）：p50 %s，p99 %s\n", "   the gateway's handler time (its /metrics histogram): p50 %s, p99 %s\n", bucketBound(p50, after), bucketBound(p99, after))
	}
	app.say("   网关每次应答耗用 CPU %s，占 %.0f%% 个核；负载生成器占 %.0f%% 个核\n", "   gateway CPU per answered request %s, %.0f%% of a core; the load generator used %.0f%% of a core\n",
		perRequest(gwCPU, at80.ok+at80.shed), 100*gwCPU.Seconds()/at80.elapsed.Seconds(), 100*genCPU.Seconds()/at80.elapsed.Seconds())
	app.say("   p99 < 50 ms：%s\n", "   p99 < 50 ms: %s\n", verdict(app, at80.pct(99) < 50*time.Millisecond))
}

// overload is phase 3: ten times the maximum, then recovery.
func (r *smsRig) overload(ctx context.Context, app *Bench, rate float64, d time.Duration) {
	rssBefore := r.gw.rss()
	app.say("\n3. 10 倍过载：每秒 %.0f 次，%s\n", "\n3. 10x overload: %.0f req/s offered, %s\n", rate, d)
	var over *result
	peak := r.gw.peakRSS(ctx, func() { over = r.gen.open(ctx, r.gwURL, rate, d, 4096) })
	r.gen.client.CloseIdleConnections()
	// The flood leaves connections queued in the kernel; the gateway must
	// drain them and answer /healthz again, without restarting.
	recovered := time.Now()
	alive := false
	for r.gw.alive() && time.Since(recovered) < 30*time.Second {
		if alive = healthy(r.gwAddr); alive {
			break
		}
	}
	recovery := time.Since(recovered)
	app.say("   实际发出 %.0f 次/秒；成功 %d（%.0f 次/秒），拒绝（503）%d，其他错误 %d，发不出 %d\n", "   offered %.0f req/s; answered %d (%.0f req/s), shed (503) %d, other errors %d, not sent %d\n",
		over.offered(), over.ok, float64(over.ok)/over.elapsed.Seconds(), over.shed, over.errors, over.dropped)
	app.say("   成功请求 p50 %s p99 %s（自发出起 p50 %s p99 %s）；拒绝 p99 %s\n", "   answered p50 %s p99 %s (from send: p50 %s p99 %s); shed p99 %s\n",
		over.pct(50), over.pct(99), percentile(over.sendLat, 50), percentile(over.sendLat, 99), over.shedPct(99))
	app.say("   网关内存：过载前 %s，过载中峰值 %s，进程峰值 (VmHWM) %s\n", "   gateway memory: %s before, peak %s during, process high-water mark (VmHWM) %s\n",
		mib(rssBefore), mib(peak), mib(r.gw.hwm()))
	app.say("   网关进程存活、未重启，过载结束 %s 后 /healthz 正常：%s\n", "   gateway process alive, never restarted, /healthz ok %s after the flood: %s\n", recovery.Round(time.Millisecond), verdict(app, alive && r.gw.alive()))
}

func verdict(app *Bench, ok bool) string {
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
