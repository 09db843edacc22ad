package hooks_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/internal/testkit"
)

// BenchmarkLogin compares a WeChat login, new and returning, with a plain
// record create on the same in-process server over loopback HTTP. The
// figures users compare live in BENCHMARKS.md (go run ./bench); this one is
// for profiling: go test ./hooks -run '^$' -bench Login -cpuprofile cpu.out
func BenchmarkLogin(b *testing.B) {
	e := newEnv(b)
	e.app.Settings().RateLimits.Enabled = false
	plain := core.NewBaseCollection("plain")
	plain.CreateRule = new(string)
	plain.Fields.Add(&core.TextField{Name: "title"}, &core.NumberField{Name: "n"})
	if err := e.app.Save(plain); err != nil {
		b.Fatal(err)
	}
	base := e.serve()
	token, _ := e.login(appA, "oBenchReturning0000000000000")
	var seq atomic.Int64

	b.Run("new user", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				openID := fmt.Sprintf("oBenchNew%019d", seq.Add(1))
				if status, body, _ := post(b, base+testkit.LoginPath, "", testkit.LoginBody(e.fake.IssueCode(appA, openID), appA)); status != 200 {
					b.Fatalf("%d %s", status, body)
				}
			}
		})
	})
	b.Run("returning user", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if status, body, _ := post(b, base+testkit.LoginPath, "", testkit.LoginBody(e.fake.IssueCode(appA, "oBenchReturning0000000000000"), appA)); status != 200 {
					b.Fatalf("%d %s", status, body)
				}
			}
		})
	})
	b.Run("plain create", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				status, body := testkit.Call(b, http.MethodPost, base+"/api/collections/plain/records", token, `{"title":"x","n":1}`)
				if status != 200 {
					b.Fatalf("%d %s", status, strings.TrimSpace(body))
				}
			}
		})
	})
}
