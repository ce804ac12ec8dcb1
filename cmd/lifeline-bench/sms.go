package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
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
	maxConns              int
	duration, overload    time.Duration
	body                  string
	sendRate              float64
	cpuprofile, lifeline  string
	intakeProfile         string
	serverCPUs            string
}

// benchAccount is the account the gateway sends answers from, to the
// benchmark's stand-in for Twilio's REST API.
const benchAccount = "AC0123456789abcdef0123456789abcdef"

// runSMS measures the SMS gateway on loopback against a bare net/http
// handler that answers a constant TwiML, in the same run and on the same
// load generator: all run as child processes of this one (the real
// `lifeline serve`, built from this source tree, on seeded SQLite stores,
// and this command again with --bare-serve), so each is measured as a
// process of its own, memory included. Answers sent through the REST API
// go to a stand-in for Twilio's in this process, which counts them.
func runSMS(ctx context.Context, app *Bench, args []string) error {
	fs := app.newFlagSet("sms")
	var f smsFlags
	fs.IntVar(&f.phones, "phones", 5000, app.T("绑定了居民的不同手机号数量", "distinct phones bound to residents"))
	fs.DurationVar(&f.duration, "duration", 10*time.Second, app.T("每个吞吐量阶段的时长", "length of each throughput phase"))
	fs.DurationVar(&f.overload, "overload", 30*time.Second, app.T("10 倍过载阶段的时长", "length of the 10x overload phase"))
	fs.IntVar(&f.rounds, "rounds", 4, app.T("第 1 阶段分几轮交替测量空白处理器与网关（抵消机器上其他负载的起伏）", "rounds in which phase 1 alternates between the bare handler and the gateway (evens out other load on the machine)"))
	fs.IntVar(&f.conns, "conns", 256, app.T("测最大吞吐量时的并发连接数", "concurrent connections when measuring the maximum"))
	fs.StringVar(&f.body, "text", "查询", app.T("发送的短信内容", "the text sent"))
	bare := fs.String("bare-serve", "", app.T("（内部）在此地址运行空白处理器", "(internal) run the bare handler on this address"))
	floor := fs.String("floor-serve", "", app.T("（内部）在此地址运行收件下限处理器", "(internal) run the intake floor on this address"))
	floorDir := fs.String("floor-dir", "", app.T("（内部）收件下限处理器存放记录的目录", "(internal) where the intake floor keeps what it takes in"))
	fs.Float64Var(&f.sendRate, "send-rate", 500, app.T("网关发件箱的发送速率（条/秒），用于测排空时间", "the gateway's --send-rate, for the outbox's drain time"))
	fs.StringVar(&f.cpuprofile, "cpuprofile", "", app.T("把网关在第 2 阶段（含预热）的 CPU 剖析写入此文件", "write the gateway's CPU profile over phase 2 (warm-up included) to this file"))
	fs.StringVar(&f.intakeProfile, "intake-cpuprofile", "", app.T("把只收不答的网关在第 1 阶段的 CPU 剖析写入此文件", "write the taking-in gateway's CPU profile over phase 1 to this file"))
	fs.IntVar(&f.maxConns, "max-conns", 0, app.T("两个网关的 --max-conns（默认：网关自己的默认值）", "both gateways' --max-conns (default: the gateway's own default)"))
	fs.StringVar(&f.serverCPUs, "server-cpus", "", app.T("让服务端进程（两个网关、空白处理器与收件下限）只在这些 CPU 上运行（如 0 或 0-1），负载生成器用其余的；默认全部共用", "run the servers (both gateways, the bare handler and the intake floor) on these CPUs only (such as 0 or 0-1), and the load generator on the others; by default all share every CPU"))
	fs.StringVar(&f.lifeline, "lifeline", "", app.T("要测的 lifeline 可执行文件（默认：从本源码树构建）", "the lifeline executable to measure (default: built from this source tree)"))
	if err := parse(fs, args); err != nil {
		return err
	}
	if *bare != "" {
		return serveBare(ctx, *bare)
	}
	if *floor != "" {
		return serveFloor(ctx, *floor, *floorDir)
	}
	if f.phones < 1 || f.duration <= 0 || f.overload <= 0 || f.conns < 1 || f.rounds < 1 || f.sendRate <= 0 || f.maxConns < 0 {
		return app.usagef("参数必须为正", "the numbers must be positive")
	}
	if (f.cpuprofile != "" || f.intakeProfile != "") && f.lifeline != "" {
		return app.usagef("--cpuprofile 与 --intake-cpuprofile 需要从源码构建 lifeline，不能与 --lifeline 同用", "--cpuprofile and --intake-cpuprofile build lifeline from source, so they cannot go with --lifeline")
	}
	var place placement
	if f.serverCPUs != "" {
		var err error
		if place, err = splitCPUs(f.serverCPUs); err != nil {
			return err
		}
	}
	dir, err := os.MkdirTemp("", "lifeline-bench-sms-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	r, err := startSMSRig(ctx, app, dir, &f, place)
	if err != nil {
		return err
	}
	place.report(app)
	defer r.stop()
	return r.measure(ctx, app, &f)
}

// smsRig is what the benchmark drives: the bare handler, the intake floor
// (serveFloor), a gateway that answers nothing inline and leaves its
// texts pending (its intake alone: every text accepted, and answered when
// it is started again), the gateway as deployed (inline when it can,
// through the outbox when not, sending to the REST stand-in), and the
// load generator.
type smsRig struct {
	bare, floor, intake, gw   *child
	place                     placement // where the servers run
	intakeExe                 string
	intakeArgs                []string // without --leave-pending: the taking-in gateway as it answers
	gwAddr, intakeAddr        string
	gwMetrics, intakeMetrics  string // each gateway's /metrics, on an address of its own
	bareURL, intakeURL, gwURL string
	floorURL, floorSyncURL    string // the intake floor's two paths
	rest                      *restCounter
	gen                       *loadGen
}

// startSMSRig seeds the stores, builds lifeline, and starts the servers.
func startSMSRig(ctx context.Context, app *Bench, dir string, f *smsFlags, place placement) (*smsRig, error) {
	var numbers []string
	var err error
	for _, name := range []string{"intake.db", "gateway.db"} {
		path := filepath.Join(dir, name)
		app.say("准备：%d 个绑定手机号的居民写入 %s …\n", "seeding %d residents with bound phones into %s …\n", f.phones, path)
		if numbers, err = seedBenchPhones(ctx, path, f.phones); err != nil {
			return nil, err
		}
	}
	for _, p := range []*string{&f.cpuprofile, &f.intakeProfile} {
		if *p == "" {
			continue
		}
		if *p, err = filepath.Abs(*p); err != nil {
			return nil, err
		}
		os.Remove(*p)
	}
	exe := f.lifeline
	if exe == "" {
		if exe, err = buildLifeline(ctx, dir, ""); err != nil {
			return nil, err
		}
	}
	// Each gateway profiled is a build of its own, so that a profile asked
	// for one does not slow the other.
	profiled, err := buildProfiled(ctx, dir, "profiled", f.cpuprofile, exe)
	if err != nil {
		return nil, err
	}
	intakeExe, err := buildProfiled(ctx, dir, "intake-profiled", f.intakeProfile, exe)
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	r := &smsRig{gen: newLoadGen(numbers, f.body, 4096), rest: &restCounter{}, place: place}
	rest := httptest.NewServer(r.rest)
	// The per-number limit is set out of the way (it still runs on every
	// text): this measures the gateway, not the limit.
	// The load generator is one source address, as a proxy in front of
	// the gateway would be: no cap per source. /metrics is read on an
	// address of its own, which a flood of texts does not queue behind.
	common := func(db, addr, metrics string) []string {
		args := []string{"--db", filepath.Join(dir, db), "serve", "--addr", addr, "--public-url", "http://" + addr, "--rate-burst", "1000000000",
			"--spool", filepath.Join(dir, db+"-spool"), "--max-conns-per-source", "0", "--metrics-addr", metrics}
		if f.maxConns > 0 {
			args = append(args, "--max-conns", strconv.Itoa(f.maxConns))
		}
		return args
	}
	var bareAddr, floorAddr string
	for _, a := range []*string{&r.intakeAddr, &r.gwAddr, &bareAddr, &floorAddr, &r.gwMetrics, &r.intakeMetrics} {
		if *a, err = freeAddr(); err != nil {
			rest.Close()
			return nil, err
		}
	}
	// The intake gateway has no sending credentials: the answers it
	// composes once started again wait in its outbox.
	r.intakeExe, r.intakeArgs = exe, append(common("intake.db", r.intakeAddr, r.intakeMetrics), "--inline-budget", "0")
	r.intake, err = startChild(ctx, r.place, intakeExe, r.intakeAddr, nil, append(r.intakeArgs, "--leave-pending")...)
	if err == nil {
		r.gw, err = startChild(ctx, r.place, profiled, r.gwAddr, []string{"TWILIO_ACCOUNT_SID=" + benchAccount, "TWILIO_FROM=+12025550100", "LIFELINE_TWILIO_API_URL=" + rest.URL},
			append(common("gateway.db", r.gwAddr, r.gwMetrics), "--send-rate", strconv.FormatFloat(f.sendRate, 'f', -1, 64))...)
	}
	if err == nil {
		r.bare, err = startChild(ctx, r.place, self, bareAddr, nil, "sms", "--bare-serve", bareAddr)
	}
	if err == nil {
		r.floor, err = startChild(ctx, r.place, self, floorAddr, nil, "sms", "--floor-serve", floorAddr, "--floor-dir", filepath.Join(dir, "floor"))
	}
	if err != nil {
		r.stop()
		rest.Close()
		return nil, err
	}
	r.intakeURL, r.gwURL, r.bareURL, r.floorURL = "http://"+r.intakeAddr+"/sms", "http://"+r.gwAddr+"/sms", "http://"+bareAddr+"/sms", "http://"+floorAddr+floorWritePath
	r.floorSyncURL = "http://" + floorAddr + floorSyncPath
	return r, nil
}

// buildProfiled builds lifeline into dir/sub writing its CPU profile to
// profile, or returns exe when no profile is asked for.
func buildProfiled(ctx context.Context, dir, sub, profile, exe string) (string, error) {
	if profile == "" {
		return exe, nil
	}
	pdir := filepath.Join(dir, sub)
	if err := os.Mkdir(pdir, 0o700); err != nil {
		return "", err
	}
	return buildLifeline(ctx, pdir, profile)
}

func (r *smsRig) stop() {
	r.bare.stop()
	r.floor.stop()
	r.intake.stop()
	r.gw.stop()
}

// measure runs the three phases.
func (r *smsRig) measure(ctx context.Context, app *Bench, f *smsFlags) error {
	// A short warm-up of each, so connection setup and first-use costs
	// are not measured.
	for _, u := range []string{r.bareURL, r.floorURL, r.floorSyncURL, r.intakeURL, r.gwURL} {
		r.gen.closed(ctx, u, f.conns, time.Second/2)
	}
	if err := r.intakeCPU(ctx, app, f); err != nil {
		return err
	}
	gwRes := r.fullPath(ctx, app, f)
	if gwRes.taken() == 0 {
		return lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T("网关没有收下任何短信", "the gateway took no text"))
	}
	return r.overload(ctx, app, 10*gwRes.rate(), f)
}

// intakeCPU is phase 1: the CPU a text costs the gateway to take in
// (read, verify, record), against the CPU a bare handler spends on a
// request and the intake floor on a text (serveFloor, keeping it written
// and fsynced), side by side in alternating slices: first each at its own
// maximum (closed loop), then all at one rate (open loop, 80% of the
// gateway's maximum). The taking-in gateway leaves its texts pending
// (--leave-pending), so its CPU is taking in alone; then it is started
// again to answer them, and that CPU is the answerer's.
func (r *smsRig) intakeCPU(ctx context.Context, app *Bench, f *smsFlags) error {
	app.say("\n1. 收下一条短信的 CPU（%d 个并发连接，各 %s，分 %d 轮交替）\n", "\n1. CPU to take in a text (%d connections, %s each, alternating in %d rounds)\n", f.conns, f.duration, f.rounds)
	slice := f.duration / time.Duration(f.rounds)
	// In this order: sayFloor reads the runs by place.
	servers := []served{{r.bare, r.bareURL}, {r.floor, r.floorURL}, {r.floor, r.floorSyncURL}, {r.intake, r.intakeURL}}
	closed := func(url string) func() *result {
		return func() *result { return r.gen.closed(ctx, url, f.conns, slice) }
	}
	runs := sideBySide(f.rounds, servers, closed)
	bare, in := runs[0], runs[3]
	app.say("   各自最大吞吐：空白 net/http 处理器 %.0f 次/秒，每次 %s；网关收下 %.0f 条/秒（错误 %d，503 %d），每条 %s：%.2f 倍\n",
		"   each at its maximum: bare net/http handler %.0f req/s, %s a request; gateway taking in %.0f texts/s (errors %d, 503 %d), %s a text: %.2f×\n",
		bare.res.rate(), us(bare.perText()), in.res.rate(), in.res.errors, in.res.shed, us(in.perText()), in.perText()/bare.perText())
	sayFloor(app, runs)
	if rate := 0.8 * in.res.rate(); rate > 0 {
		open := func(url string) func() *result {
			return func() *result { return r.gen.open(ctx, url, rate, slice, f.conns) }
		}
		runs := sideBySide(f.rounds, servers, open)
		bare, in := runs[0], runs[3]
		ratio := in.perText() / bare.perText()
		app.say("   同一速率（每秒 %.0f 条）：空白处理器每次 %s，网关每条 %s（错误 %d，503 %d）：%.2f 倍（目标 ≤ 1.5 倍）%s\n",
			"   at one rate (%.0f a second): bare handler %s a request, gateway %s a text (errors %d, 503 %d): %.2f× (target <= 1.5×) %s\n",
			rate, us(bare.perText()), us(in.perText()), in.res.errors, in.res.shed, ratio, verdict(app, ratio <= 1.5))
		sayFloor(app, runs)
	}
	if f.intakeProfile != "" {
		r.intake.stopProfile()
		if waitFile(f.intakeProfile, 10*time.Second) {
			app.say("   只收不答的网关 CPU 剖析：%s\n", "   taking-in gateway CPU profile: %s\n", f.intakeProfile)
		}
	}
	return r.answerBacklog(ctx, app)
}

// sayFloor prints the intake floor's CPU a text, kept written and kept
// fsynced, against the bare handler's, and the gateway's against the
// written floor (the same durability as the gateway's SQLite store).
func sayFloor(app *Bench, runs []cpuRun) {
	bare, written, synced, in := runs[0].perText(), runs[1].perText(), runs[2].perText(), runs[3].perText()
	app.say("     收件下限（验签并记下即回空响应）：写入文件每条 %s（%.2f 倍），落盘 fsync 每条 %s（%.2f 倍）；网关是写入下限的 %.2f 倍\n",
		"     intake floor (verify, keep, answer empty): written %s a text (%.2f×), fsynced %s (%.2f×); the gateway is %.2f× the written floor\n",
		us(written), written/bare, us(synced), synced/bare, in/written)
}

// cpuRun is what a server took in over some slices, and the CPU it spent.
type cpuRun struct {
	res *result
	cpu time.Duration
}

func (c cpuRun) perText() float64 {
	if c.res.taken() == 0 {
		return 0
	}
	return float64(c.cpu) / float64(c.res.taken())
}

// served is a URL and the server process that serves it.
type served struct {
	server *child
	url    string
}

// sideBySide runs load against each of servers in alternating slices, so
// that other load on the machine falls on all of them.
func sideBySide(rounds int, servers []served, load func(url string) func() *result) []cpuRun {
	runs := make([]cpuRun, len(servers))
	for i := range runs {
		runs[i].res = &result{}
	}
	for range rounds {
		for i, s := range servers {
			var got *result
			runs[i].cpu += s.server.during(func() { got = load(s.url)() })
			runs[i].res.addPhase(got)
		}
	}
	return runs
}

// answerBacklog starts the taking-in gateway again, answering this time,
// and measures the CPU it spends composing the answers it left pending.
func (r *smsRig) answerBacklog(ctx context.Context, app *Bench) error {
	metrics := "http://" + r.intakeMetrics + "/metrics"
	pending, _ := gauge(metrics, "lifeline_sms_answers_pending")
	r.intake.stop()
	var err error
	if r.intake, err = startChild(ctx, r.place, r.intakeExe, r.intakeAddr, nil, r.intakeArgs...); err != nil {
		return err
	}
	var drained time.Duration
	cpu := r.intake.during(func() { drained = waitGauge(ctx, metrics, "lifeline_sms_answers_pending", 0, 10*time.Minute) })
	if pending > 0 {
		app.say("   作答：积压 %.0f 条用了 %s，每条 CPU %s\n", "   answering: %.0f left pending took %s, %s of CPU an answer\n",
			pending, drained.Round(time.Millisecond), us(float64(cpu)/pending))
	}
	return nil
}

// fullPath is phase 2: the gateway as deployed, at its maximum: the CPU
// of a text answered inline against the bare handler's request.
func (r *smsRig) fullPath(ctx context.Context, app *Bench, f *smsFlags) *result {
	app.say("\n2. 网关全程（当场作答，必要时经发件箱），%d 个并发连接，%s\n", "\n2. the whole gateway (inline answers, the outbox when needed), %d connections, %s\n", f.conns, f.duration)
	var res *result
	cpu := r.gw.during(func() { res = r.gen.closed(ctx, r.gwURL, f.conns, f.duration) })
	if f.cpuprofile != "" {
		r.gw.stopProfile()
		if waitFile(f.cpuprofile, 10*time.Second) {
			app.say("   网关 CPU 剖析：%s\n", "   gateway CPU profile: %s\n", f.cpuprofile)
		} else {
			app.say("   未能写出网关 CPU 剖析\n", "   the gateway's CPU profile was not written\n")
		}
	}
	app.say("   收下 %.0f 条/秒（当场作答 %d，稍后作答 %d）  p50 %s  p99 %s  错误 %d  503 %d；每条 CPU %s\n", "   took %.0f texts/s (%d answered inline, %d later)  p50 %s  p99 %s  errors %d  503 %d; CPU %s a text\n",
		res.rate(), res.ok, res.accepted, res.pct(50), res.pct(99), res.errors, res.shed, perRequest(cpu, res.taken()))
	return res
}

// overload is phase 3: ten times phase 2's rate, open loop: the handler's
// own p99, every text accepted answered, the outbox's drain, memory, and
// recovery.
func (r *smsRig) overload(ctx context.Context, app *Bench, rate float64, f *smsFlags) error {
	metrics := "http://" + r.gwMetrics + "/metrics"
	// Phase 2's answers are sent first, so that what is counted below is
	// this phase's.
	waitGauge(ctx, metrics, "lifeline_sms_answers_waiting", 0, 30*time.Minute)
	answered0, _ := gauge(metrics, `lifeline_sms_answers_total{path="outbox"}`)
	rest0 := r.rest.count()
	rssBefore := r.gw.rss()
	app.say("\n3. 10 倍过载：每秒 %.0f 条，%s，按时发出（开环）\n", "\n3. 10x overload: %.0f texts/s offered on a fixed schedule (open loop), %s\n", rate, f.overload)
	before, _ := histogram(metrics, handlerSeconds)
	waitBefore, _ := histogram(metrics, turnWaitSeconds)
	var over *result
	peak := r.gw.peakRSS(ctx, func() { over = r.gen.open(ctx, r.gwURL, rate, f.overload, 4096) })
	after, _ := histogram(metrics, handlerSeconds)
	waitAfter, _ := histogram(metrics, turnWaitSeconds)
	r.gen.client.CloseIdleConnections()
	recovered := time.Now()
	alive := false
	for r.gw.alive() && time.Since(recovered) < 30*time.Second {
		if alive = healthy(r.gwAddr); alive {
			break
		}
	}
	recovery := time.Since(recovered)
	app.say("   实际发出 %.0f 条/秒；收下 %d（当场作答 %d，稍后作答 %d），503 %d，其他错误 %d，发不出 %d\n", "   offered %.0f texts/s; taken %d (%d answered inline, %d later), 503 %d, other errors %d, not sent %d\n",
		over.offered(), over.taken(), over.ok, over.accepted, over.shed, over.errors, over.dropped)
	app.say("   客户端所见 p50 %s p99 %s（自发出起 p99 %s）\n", "   as the client saw it: p50 %s p99 %s (from send: p99 %s)\n", over.pct(50), over.pct(99), percentile(over.sendLat, 99))
	p99ok := false
	if p50, p99, ok := histogramQuantiles(before, after); ok {
		p99ok = p99 >= 0 && p99 < 50*time.Millisecond
		app.say("   网关处理器自身计时（/metrics 直方图，自轮到起）：p50 %s，p99 %s；p99 < 50 ms：%s\n", "   the gateway's handler time (its /metrics histogram, from its turn): p50 %s, p99 %s; p99 < 50 ms: %s\n",
			bucketBound(p50, after), bucketBound(p99, after), verdict(app, p99ok))
	}
	// The wait for a turn (--max-active) is the queue in front of the
	// handler: said beside it, since moving a queue changes no one's wait.
	if p50, p99, ok := histogramQuantiles(waitBefore, waitAfter); ok {
		app.say("   签名核对后等候轮到处理：p50 %s，p99 %s\n", "   the wait for a turn after the signature is checked: p50 %s, p99 %s\n", bucketBound(p50, waitAfter), bucketBound(p99, waitAfter))
	}
	// Every text taken is answered: inline, or through the outbox once it
	// drains at the account's rate.
	drain := waitGauge(ctx, metrics, "lifeline_sms_answers_waiting", 0, 30*time.Minute)
	answered1, _ := gauge(metrics, `lifeline_sms_answers_total{path="outbox"}`)
	viaREST := r.rest.count() - rest0
	answered := over.ok + viaREST
	app.say("   发件箱以 --send-rate %.0f 排空用时 %s；经接口回复 %d 条（网关计 %.0f 条）\n", "   the outbox drained at --send-rate %.0f in %s; %d answers through the REST API (the gateway counted %.0f)\n",
		f.sendRate, drain.Round(time.Millisecond), viaREST, answered1-answered0)
	everyOne := everyTextAnswered(over, answered)
	if over.errors == 0 {
		app.say("   收下 %d = 作答 %d（当场 %d + 经接口 %d）：%s\n", "   taken %d = answered %d (inline %d + REST %d): %s\n", over.taken(), answered, over.ok, viaREST, verdict(app, everyOne))
	} else {
		app.say("   收下 %d，客户端放弃等待 %d；作答 %d（当场 %d + 经接口 %d），在收下数与收下加放弃数之间：%s\n",
			"   taken %d, given up on by the client %d; answered %d (inline %d + REST %d), from the texts taken to those plus the ones given up on: %s\n",
			over.taken(), over.errors, answered, over.ok, viaREST, verdict(app, everyOne))
	}
	app.say("   网关内存：过载前 %s，过载中峰值 %s，进程峰值 (VmHWM) %s\n", "   gateway memory: %s before, peak %s during, process high-water mark (VmHWM) %s\n",
		mib(rssBefore), mib(peak), mib(r.gw.hwm()))
	app.say("   网关进程存活、未重启，过载结束 %s 后 /healthz 正常：%s\n", "   gateway process alive, never restarted, /healthz ok %s after the flood: %s\n", recovery.Round(time.Millisecond), verdict(app, alive && r.gw.alive()))
	return nil
}

// everyTextAnswered checks a flood's answers: none refused, every text
// taken answered, and no more besides than the texts whose request failed
// at the load generator (its 10 s timeout, a connection reset): such a text
// may have been taken all the same, and is then answered through the
// outbox, as a provider's would be.
func everyTextAnswered(r *result, answered int) bool {
	return r.shed == 0 && answered >= r.taken() && answered <= r.taken()+r.errors
}

// restCounter stands in for Twilio's REST API: it accepts every message
// created and counts them.
type restCounter struct{ n atomic.Int64 }

func (c *restCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	n := c.n.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"sid": "SM%032d", "status": "queued"}`, n)
}

func (c *restCounter) count() int { return int(c.n.Load()) }

func us(ns float64) string { return fmt.Sprintf("%.0f µs", ns/1e3) }

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
	return serveUntilDone(ctx, addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		io.WriteString(w, bareTwiML)
	}))
}

// serveUntilDone serves h on addr until ctx is done.
func serveUntilDone(ctx context.Context, addr string, h http.Handler) error {
	hs := &http.Server{Addr: addr, Handler: h}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
