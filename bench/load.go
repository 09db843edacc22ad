package main

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// result is one scenario's figures.
type result struct {
	name     string
	requests int
	errors   int
	elapsed  time.Duration
	latency  []time.Duration // of every request, sorted
	overhead []time.Duration // logins: latency minus that login's upstream call, sorted
	firstErr string
	note     string
	cpu      time.Duration // server CPU used during the scenario
	benchCPU time.Duration // this process's (clients and fake WeChat)

	wrote      bool // the scenario changed data.db (checked where it matters)
	duplicates int  // users or accounts beyond one per openid
}

// perRequest spreads a CPU time over the scenario's requests, in milliseconds.
func (r *result) perRequest(cpu time.Duration) string {
	if r.requests == 0 || cpu == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f ms", float64(cpu.Microseconds())/1000/float64(r.requests))
}

func (r *result) perSecond() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

func (r *result) percentile(p float64) time.Duration { return percentile(r.latency, p) }

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

// client is shared by all workers; its pool keeps one connection per worker
// alive, as a proxy or a busy app would, so we measure requests, not dials.
func newClient(concurrency int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        concurrency * 2,
			MaxIdleConnsPerHost: concurrency * 2,
			IdleConnTimeout:     time.Minute,
		},
	}
}

// request is what a worker sends; build returns a fresh one per call.
type request struct {
	method, url, token, body string
	// upstream, for a login, tells how long the fake WeChat took to answer
	// its code: the part of the latency the server does not add.
	upstream func() (time.Duration, bool)
}

// sample is one answered request.
type sample struct {
	took, overhead time.Duration
	hasOverhead    bool
	err            error
}

func measure(client *http.Client, r request) sample {
	took, err := send(client, r)
	s := sample{took: took, err: err}
	if r.upstream != nil && err == nil {
		if up, ok := r.upstream(); ok {
			s.overhead, s.hasOverhead = took-up, true
		}
	}
	return s
}

// add counts a sample into r; the caller holds r's lock or owns it.
func (r *result) add(s sample) {
	r.latency = append(r.latency, s.took)
	if s.hasOverhead {
		r.overhead = append(r.overhead, s.overhead)
	}
	r.requests++
	if s.err != nil {
		r.errors++
		if r.firstErr == "" {
			r.firstErr = s.err.Error()
		}
	}
}

// sortSamples orders the latencies for percentiles.
func (r *result) sortSamples() {
	slices.Sort(r.latency)
	slices.Sort(r.overhead)
}

// runFor drives build's requests from `concurrency` workers for duration and
// times each one. A non-2xx status is an error.
func runFor(name string, client *http.Client, concurrency int, duration time.Duration, build func(worker, i int) request) *result {
	var (
		mu       sync.Mutex
		res      = &result{name: name}
		wg       sync.WaitGroup
		deadline = time.Now().Add(duration)
	)
	started := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func(worker int) {
			defer wg.Done()
			var samples []sample
			for i := 0; time.Now().Before(deadline); i++ {
				samples = append(samples, measure(client, build(worker, i)))
			}
			mu.Lock()
			for _, s := range samples {
				res.add(s)
			}
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	res.elapsed = time.Since(started)
	res.sortSamples()
	return res
}

// runAtOnce fires one request per element of reqs at the same moment.
func runAtOnce(client *http.Client, reqs []request, into *result) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	gate := make(chan struct{})
	started := time.Now()
	for _, req := range reqs {
		wg.Add(1)
		go func(req request) {
			defer wg.Done()
			<-gate
			s := measure(client, req)
			mu.Lock()
			into.add(s)
			mu.Unlock()
		}(req)
	}
	close(gate)
	wg.Wait()
	into.elapsed += time.Since(started)
}

func send(client *http.Client, r request) (time.Duration, error) {
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequest(r.method, r.url, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if r.token != "" {
		req.Header.Set("Authorization", r.token)
	}
	started := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return time.Since(started), err
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	took := time.Since(started)
	if res.StatusCode/100 != 2 {
		return took, fmt.Errorf("%s %s: %d %.200s", r.method, r.url, res.StatusCode, raw)
	}
	return took, nil
}
