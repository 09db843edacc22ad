package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pocketbase/dbx"

	"wxbase/internal/wxbaseproc"
)

// The import bench times `wxbase import leancloud` as an operator runs it:
// the real binary, an outside process, a fresh data dir, on a LeanCloud
// export made here, the same bytes every time (a fixed seed). The export
// has users (every one with a mini-program openid in authData.lc_weapp)
// and classes of records with LeanCloud's 24-hex objectIds, eight fields
// each of about 300 bytes in all, one of them a Pointer: to a user, to a
// class sorted after the record's own (Comment → Post), or to a record of
// its own class, before or after it (Task → Task).

// importClass is one class of the generated export.
type importClass struct {
	name, pointer, target string
}

var importClasses = []importClass{
	{"Comment", "post", "Post"},
	{"Order", "buyer", "_User"},
	{"Post", "author", "_User"},
	{"Task", "parent", "Task"},
}

// importRun is one import's figures.
type importRun struct {
	wall, cpu time.Duration
	peakRSS   int64 // bytes
	output    string
}

// runImport generates the export once, then imports it runs times, each
// into a fresh data dir, and prints the figures. With a profile prefix,
// the binary is built with -tags pprof and each run writes a CPU profile
// to PREFIX-import-<n>.pprof.
func runImport(workDir string, records, users, runs int, profile string) {
	exportDir := filepath.Join(workDir, "export")
	fmt.Fprintf(os.Stderr, "generating a LeanCloud export of %d records and %d users…\n", records, users)
	size, err := writeLeanCloudExport(exportDir, records, users)
	check(err)

	fmt.Fprintln(os.Stderr, "building wxbase…")
	var buildFlags []string
	if profile != "" {
		buildFlags = []string{"-tags", "pprof"}
	}
	binary, err := wxbaseproc.Build(".", workDir, buildFlags...)
	check(err)

	var results []importRun
	var profiles []string
	for i := 0; i < runs; i++ {
		dataDir := filepath.Join(workDir, fmt.Sprintf("pb_data_%d", i))
		env := []string{"WECHAT_APPID=" + appID, "WECHAT_SECRET=" + secret}
		if profile != "" {
			name := fmt.Sprintf("%s-import-%d.pprof", profile, i)
			env = append(env, "WXBASE_CPUPROFILE="+name)
			profiles = append(profiles, name)
		}
		r, err := importOnce(binary, exportDir, dataDir, env)
		check(err)
		check(checkImported(dataDir, records, users))
		fmt.Fprintf(os.Stderr, "  run %d: %.2f s, %.0f records/s, peak RSS %s, CPU %.2f s\n",
			i+1, r.wall.Seconds(), float64(records+users)/r.wall.Seconds(), mib(r.peakRSS), r.cpu.Seconds())
		results = append(results, r)
		os.RemoveAll(dataDir)
	}
	printImport(os.Stdout, results, records, users, size, load())
	if len(profiles) > 0 {
		fmt.Fprintln(os.Stdout, "\nCPU profiles of the import process (go tool pprof -top):")
		for _, p := range profiles {
			fmt.Fprintln(os.Stdout, "  "+p)
		}
	}
}

// importOnce runs `wxbase import leancloud` on a fresh data dir, reading the
// child's wall time, CPU time and peak RSS from its rusage.
func importOnce(binary, exportDir, dataDir string, env []string) (importRun, error) {
	if err := os.RemoveAll(dataDir); err != nil {
		return importRun{}, err
	}
	cmd := exec.Command(binary, "import", "leancloud", exportDir, "--appid", appID, "--dir", dataDir)
	cmd.Dir = filepath.Dir(dataDir)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	started := time.Now()
	err := cmd.Run()
	r := importRun{wall: time.Since(started), output: out.String()}
	if err != nil {
		return r, fmt.Errorf("the import: %v\n%s", err, tail(r.output, 4000))
	}
	r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.peakRSS = ru.Maxrss * 1024 // kilobytes on Linux
	}
	return r, nil
}

// checkImported counts what the import wrote: every user, every record,
// and every Pointer as a relation.
func checkImported(dataDir string, records, users int) error {
	db, err := dbx.Open("sqlite", filepath.Join(dataDir, "data.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	var n int
	if err := db.NewQuery("SELECT count(*) FROM users").Row(&n); err != nil || n != users {
		return fmt.Errorf("users: %d (%v), want %d", n, err, users)
	}
	if err := db.NewQuery("SELECT count(*) FROM wechat_accounts").Row(&n); err != nil || n != users {
		return fmt.Errorf("wechat_accounts: %d (%v), want %d", n, err, users)
	}
	total := 0
	for _, c := range importClasses {
		var rows, pointers int
		err := db.NewQuery(fmt.Sprintf("SELECT count(*), count(NULLIF(`%s`, '')) FROM `%s`", c.pointer, c.name)).Row(&rows, &pointers)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		if pointers != rows {
			return fmt.Errorf("%s: %d of %d records have their %s", c.name, pointers, rows, c.pointer)
		}
		total += rows
	}
	if total != records {
		return fmt.Errorf("%d records imported, want %d", total, records)
	}
	return nil
}

func printImport(out *os.File, runs []importRun, records, users int, exportSize int64, load string) {
	walls := make([]time.Duration, len(runs))
	for i, r := range runs {
		walls[i] = r.wall
	}
	slices.Sort(walls)
	rate := func(d time.Duration) float64 { return float64(records+users) / d.Seconds() }
	rss := make([]int64, len(runs))
	cpu := make([]time.Duration, len(runs))
	for i, r := range runs {
		rss[i], cpu[i] = r.peakRSS, r.cpu
	}
	slices.Sort(rss)
	slices.Sort(cpu)
	fmt.Fprintf(out, "\nwxbase import leancloud: %d records in %d classes and %d users (export %s), %d runs, each on a fresh data dir\n",
		records, len(importClasses), users, mib(exportSize), len(runs))
	fmt.Fprintf(out, "machine: %d cores; load average before the last run %s\n\n", runtime.NumCPU(), load)
	fmt.Fprintln(out, "| | min | median | max |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: |")
	fmt.Fprintf(out, "| wall time | %.2f s | %.2f s | %.2f s |\n", walls[0].Seconds(), mid(walls).Seconds(), walls[len(walls)-1].Seconds())
	fmt.Fprintf(out, "| records/s (records + users) | %.0f | %.0f | %.0f |\n", rate(walls[len(walls)-1]), rate(mid(walls)), rate(walls[0]))
	fmt.Fprintf(out, "| CPU time (user + system) | %.2f s | %.2f s | %.2f s |\n", cpu[0].Seconds(), mid(cpu).Seconds(), cpu[len(cpu)-1].Seconds())
	fmt.Fprintf(out, "| peak RSS | %s | %s | %s |\n", mib(rss[0]), mib(mid(rss)), mib(rss[len(rss)-1]))
	verdict := "met"
	if rate(mid(walls)) < 20_000 {
		verdict = "MISSED"
	}
	fmt.Fprintf(out, "\nTarget: ≥ 20,000 records/s (median) — %s\n", verdict)
	for _, line := range strings.Split(runs[len(runs)-1].output, "\n") {
		if strings.HasPrefix(line, "Imported ") {
			fmt.Fprintln(out, "The import said: "+line)
		}
	}
}

func mid[T int64 | time.Duration](xs []T) T { return xs[len(xs)/2] }

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// load is the load average, to tell whether other work shared the machine.
func load() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	fields := strings.Fields(string(raw))
	if len(fields) < 3 {
		return "n/a"
	}
	return strings.Join(fields[:3], " ")
}

// writeLeanCloudExport writes the export into dir, one JSON Lines file per
// class as LeanCloud's console export does, and returns its size.
func writeLeanCloudExport(dir string, records, users int) (int64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	g := &exportGen{rng: rand.New(rand.NewPCG(20260112, 1)), base: time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC)}
	userIDs := make([]string, users)
	for i := range userIDs {
		userIDs[i] = g.objectID()
	}
	classIDs := map[string][]string{"_User": userIDs}
	perClass := records / len(importClasses)
	for i, c := range importClasses {
		n := perClass
		if i == len(importClasses)-1 {
			n = records - perClass*(len(importClasses)-1)
		}
		ids := make([]string, n)
		for j := range ids {
			ids[j] = g.objectID()
		}
		classIDs[c.name] = ids
	}

	var size int64
	write := func(name string, fill func(w *bufio.Writer)) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		fill(w)
		if err := w.Flush(); err != nil {
			f.Close()
			return err
		}
		info, _ := f.Stat()
		size += info.Size()
		return f.Close()
	}
	err := write("_User.0.jsonl", func(w *bufio.Writer) {
		for i, id := range userIDs {
			g.user(w, i, id)
		}
	})
	if err != nil {
		return 0, err
	}
	for _, c := range importClasses {
		err := write(c.name+".0.jsonl", func(w *bufio.Writer) {
			for _, id := range classIDs[c.name] {
				targets := classIDs[c.target]
				owner := userIDs[g.rng.IntN(len(userIDs))]
				g.record(w, id, owner, c, targets[g.rng.IntN(len(targets))])
			}
		})
		if err != nil {
			return 0, err
		}
	}
	return size, nil
}

// exportGen makes the export's values from one seeded generator.
type exportGen struct {
	rng     *rand.Rand
	base    time.Time
	counter uint32
}

const lowerLetters = "abcdefghijklmnopqrstuvwxyz"
const base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// objectID is a MongoDB ObjectId as LeanCloud makes them: seconds, 5
// random bytes, a counter; 24 lowercase hex digits, all distinct.
func (g *exportGen) objectID() string {
	g.counter++
	secs := uint32(g.base.Unix()) + g.counter/16
	return fmt.Sprintf("%08x%010x%06x", secs, g.rng.Uint64()&0xffffffffff, g.counter&0xffffff)
}

func (g *exportGen) chars(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.rng.IntN(len(alphabet))]
	}
	return string(b)
}

func (g *exportGen) time() string {
	return g.base.Add(time.Duration(g.rng.Int64N(int64(4 * 365 * 24 * time.Hour)))).Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z")
}

var words = []string{"微信", "小程序", "云开发", "订单", "评论", "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "lorem", "ipsum", "dolor", "sit", "amet", "数据", "迁移"}

func (g *exportGen) text(n int) string {
	var b strings.Builder
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[g.rng.IntN(len(words))])
	}
	return b.String()
}

func (g *exportGen) user(w *bufio.Writer, i int, id string) {
	created := g.time()
	unionid := ""
	if i%5 == 0 {
		unionid = fmt.Sprintf(`,"unionid":"oU%s"`, g.chars(base64url, 26))
	}
	fmt.Fprintf(w, `{"objectId":"%s","username":"%s","authData":{"lc_weapp":{"session_key":"%s==","expires_in":7200,"openid":"o%s"%s}},"nickName":"%s","avatarUrl":"https://thirdwx.qlogo.cn/mmopen/vi_32/%s/132","gender":%d,"emailVerified":false,"mobilePhoneVerified":false,"createdAt":"%s","updatedAt":"%s"}`+"\n",
		id, g.chars(lowerLetters, 25), g.chars(base64url, 22), g.chars(base64url, 27), unionid,
		g.text(8), g.chars(base64url, 40), g.rng.IntN(3), created, created)
}

func (g *exportGen) record(w *bufio.Writer, id, owner string, c importClass, target string) {
	created := g.time()
	acl := fmt.Sprintf(`{"*":{"read":true},"%s":{"read":true,"write":true}}`, owner)
	if g.rng.IntN(4) == 0 {
		acl = fmt.Sprintf(`{"%s":{"read":true,"write":true}}`, owner)
	}
	tags := make([]string, 1+g.rng.IntN(3))
	for i := range tags {
		tags[i] = strconv.Quote(words[g.rng.IntN(len(words))])
	}
	fmt.Fprintf(w, `{"objectId":"%s","title":"%s","body":"%s","n":%d,"score":%.2f,"done":%t,"due":{"__type":"Date","iso":"%s"},"tags":[%s],"%s":{"__type":"Pointer","className":"%s","objectId":"%s"},"ACL":%s,"createdAt":"%s","updatedAt":"%s"}`+"\n",
		id, g.text(30), g.text(70), g.rng.IntN(100000), g.rng.Float64()*100, g.rng.IntN(2) == 0, g.time(),
		strings.Join(tags, ","), c.pointer, c.target, target, acl, created, created)
}
