package gatewaybench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/internal/pgtest"
	"github.com/lifeline-health/lifeline/sms"
	"github.com/lifeline-health/lifeline/store"
)

const (
	authToken = "benchtoken0123456789"
	publicURL = "https://sms.example.org"
	residents = 4000
)

// seedStore adds residents with one phone each and returns the phones.
func seedStore(b *testing.B, db *store.DB) []string {
	b.Helper()
	var batch lifeline.ImportBatch
	var phones []string
	for i := range residents {
		stem := fmt.Sprintf("1101051950%02d%02d%03d", 1+i%12, 1+i%28, i%1000)
		c, _ := lifeline.MainlandIDCheckDigit(stem)
		phone := fmt.Sprintf("+86139%08d", i)
		batch.Residents = append(batch.Residents, lifeline.Resident{Name: "王秀英",
			Doc:     lifeline.Document{Type: lifeline.DocMainlandID, Number: stem + string(c)},
			Phones:  []string{phone},
			Address: lifeline.Address{Community: "幸福社区", Building: fmt.Sprint(1 + i/100), Unit: "1", Room: fmt.Sprint(101 + i%100)},
			Status:  lifeline.Status{Color: lifeline.Green}})
		phones = append(phones, phone)
	}
	if _, err := db.Import(context.Background(), &batch); err != nil {
		b.Fatal(err)
	}
	return phones
}

var (
	binDir    string
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// lifelineBin builds the lifeline binary once per run.
func lifelineBin(b *testing.B) string {
	buildOnce.Do(func() {
		var err error
		binDir, err = os.MkdirTemp("", "gatewaybench-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(binDir, "lifeline")
		if out, err := exec.Command("go", "build", "-o", binPath, "github.com/lifeline-health/lifeline/cmd/lifeline").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return binPath
}

var listenRE = regexp.MustCompile(`SMS gateway on (\S+);`)

// replica starts one `lifeline serve` process on dsn and returns its URL.
func replica(b *testing.B, dsn string) string {
	b.Helper()
	cmd := exec.Command(lifelineBin(b), "--db", dsn, "--lang", "en", "serve", "--addr", "127.0.0.1:0", "--public-url", publicURL)
	cmd.Env = append(os.Environ(), "TWILIO_AUTH_TOKEN="+authToken, "TWILIO_ACCOUNT_SID=")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			b.Fatalf("lifeline serve ended: %s", stderr.String())
		}
		return "http://" + a
	case <-time.After(30 * time.Second):
		b.Fatalf("lifeline serve did not start: %s", stderr.String())
	}
	return ""
}

// BenchmarkGateway sets each case up on every run (the testing package
// runs the body with b.N = 1 first and cleans up after each run); only the
// load itself is timed.
func BenchmarkGateway(b *testing.B) {
	b.Run("sqlite/replicas=1", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "l.db")
		db, err := store.Open(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		phones := seedStore(b, db)
		db.Close()
		load(b, []string{replica(b, path)}, phones)
	})
	for _, n := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("postgres/replicas=%d", n), func(b *testing.B) {
			pg := pgtest.StartConf(b, pgtest.Durable)
			db, err := store.Open(context.Background(), pg.DSN)
			if err != nil {
				b.Fatal(err)
			}
			phones := seedStore(b, db)
			db.Close()
			var urls []string
			for range n {
				urls = append(urls, replica(b, pg.DSN))
			}
			load(b, urls, phones)
		})
	}
}

// load sends b.N signed status queries, 32 at a time, round-robin over the
// replicas, and reports requests per second and the share answered "busy".
func load(b *testing.B, urls []string, phones []string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}, Timeout: 30 * time.Second}
	var busy, failed atomic.Int64
	// Warm up: connections open, caches fill, before the clock starts.
	for range 100 {
		send(client, urls, phones, &busy, &failed)
	}
	busy.Store(0)
	failed.Store(0)
	b.SetParallelism(16) // 16 x GOMAXPROCS clients
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			send(client, urls, phones, &busy, &failed)
		}
	})
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "req/s")
	b.ReportMetric(float64(busy.Load())/float64(b.N), "busy/op")
	if f := failed.Load(); f > 0 {
		b.Errorf("%d of %d requests failed outright or got no reply", f, b.N)
	}
}

// seq numbers the requests across all runs; a MessageSid is a random
// prefix and seq, so none repeats and they look as random as Twilio's (a
// counter alone would put each new sid at the end of the sid index, a
// cheaper write than a real surge's, and made these figures optimistic).
var seq atomic.Int64

// send posts one signed status query to the next replica and counts a
// "busy" answer or a failure (an error, a status other than 200 or 503, or
// a reply without a message, such as a rate-limited one).
func send(client *http.Client, urls, phones []string, busy, failed *atomic.Int64) {
	i := seq.Add(1)
	form := url.Values{"MessageSid": {fmt.Sprintf("SM%016x%016x", rand.Uint64(), uint64(i))},
		"From": {phones[int(i)%len(phones)]}, "To": {"+8610690000"}, "Body": {"查询"}}
	req, _ := http.NewRequest(http.MethodPost, urls[int(i)%len(urls)]+"/sms", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sms.Signature(authToken, publicURL+"/sms", form))
	resp, err := client.Do(req)
	if err != nil {
		failed.Add(1)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusServiceUnavailable || strings.Contains(string(body), "系统繁忙"):
		busy.Add(1)
	case resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<Message>"):
		failed.Add(1)
	}
}
