//go:build pprof

package main

// Built with -tags pprof (go run ./bench -login -profile ...), barepb also
// serves Go's profiler (net/http/pprof) on WXBASE_PPROF_ADDR, as wxbase's
// pprof build does, so both servers can be profiled the same way.

import (
	"log"
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	addr := os.Getenv("WXBASE_PPROF_ADDR")
	if addr == "" {
		return
	}
	go func() { log.Println("pprof:", http.ListenAndServe(addr, nil)) }()
}
