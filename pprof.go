//go:build pprof

package main

// Built with -tags pprof, wxbase also serves Go's profiler (net/http/pprof)
// on WXBASE_PPROF_ADDR, 127.0.0.1:6060 by default, for profiling a server
// under load (go run ./bench -query -profile ...). Release builds leave it
// out.

import (
	"log"
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	addr := os.Getenv("WXBASE_PPROF_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6060"
	}
	go func() { log.Println("pprof:", http.ListenAndServe(addr, nil)) }()
}
