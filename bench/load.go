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

func (r *result) percentile(p float64) time.Duration {
	if len(r.latency) == 0 {
		return 0
	}
	return r.latency[min(len(r.latency)-1, int(float64(len(r.latency))*p))]
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
			var latencies []time.Duration
			var errs int
			var firstErr string
			for i := 0; time.Now().Before(deadline); i++ {
				took, err := send(client, build(worker, i))
				latencies = append(latencies, took)
				if err != nil {
					errs++
					if firstErr == "" {
						firstErr = err.Error()
					}
				}
			}
			mu.Lock()
			res.latency = append(res.latency, latencies...)
			res.requests += len(latencies)
			res.errors += errs
			if res.firstErr == "" {
				res.firstErr = firstErr
			}
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	res.elapsed = time.Since(started)
	slices.Sort(res.latency)
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
			took, err := send(client, req)
			mu.Lock()
			into.latency = append(into.latency, took)
			into.requests++
			if err != nil {
				into.errors++
				if into.firstErr == "" {
					into.firstErr = err.Error()
				}
			}
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
