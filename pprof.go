//go:build pprof

package main

// Built with -tags pprof, wxbase also serves Go's profiler (net/http/pprof)
// on WXBASE_PPROF_ADDR, 127.0.0.1:6060 by default, for profiling a server
// under load (go run ./bench -query -profile ...), and with
// WXBASE_CPUPROFILE=file it profiles its whole run, a command's such as
// `wxbase import` (go run ./bench -import -profile ...), into that file.
// Release builds leave it out.

import (
	"log"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime/pprof"
)

func init() {
	if path := os.Getenv("WXBASE_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		atExit = append(atExit, func() {
			pprof.StopCPUProfile()
			f.Close()
		})
		if os.Getenv("WXBASE_PPROF_ADDR") == "" {
			return
		}
	}
	addr := os.Getenv("WXBASE_PPROF_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6060"
	}
	go func() { log.Println("pprof:", http.ListenAndServe(addr, nil)) }()
}
