package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"wxbase/datalock"
	"wxbase/exports"
)

// Config is what the import command takes from the rest of wxbase.
type Config struct {
	// NoPasswordHash is the hash WeChat sign-ups store: no password
	// matches it.
	NoPasswordHash string
	// EnvApp creates or updates the mini-program WECHAT_APPID and
	// WECHAT_SECRET name, as the server does at start, so that --appid
	// may name it before the server has ever run.
	EnvApp func(core.App) error
}

// MapFile is --map's JSON: what an export cannot say.
type MapFile struct {
	// MiniPrograms maps LeanCloud authData keys other than lc_weapp that
	// are mini-program logins ({"weapp2": "wx..."}) to their appid.
	MiniPrograms map[string]string `json:"miniPrograms"`
	// Collections renames CloudBase collections ({"orders": "shop_orders"}).
	Collections map[string]string `json:"collections"`
	// KeyedByOpenID names the CloudBase collections whose _id is the
	// openid of the user each record is about ({"keyedByOpenID": ["users"]}).
	KeyedByOpenID []string `json:"keyedByOpenID"`
	// Rules gives collections (by their name in the export) a preset of
	// their own, over --rules ({"rules": {"posts": "read-all"}}).
	Rules map[string]string `json:"rules"`
}

// run is what an import subcommand was asked.
type run struct {
	appID    string
	dryRun   bool
	files    string // --files
	rules    Rules
	byName   map[string]Rules
	progress *Progress
}

// NewCommand is `wxbase import`, with its source subcommands.
func NewCommand(app core.App, cfg Config) *cobra.Command {
	command := &cobra.Command{
		Use:   "import",
		Short: "Bring users and data over from LeanCloud or WeChat CloudBase",
	}
	// The record hooks wxbase binds, counted before pb_hooks scripts load.
	ownHooks := CreateHooks(app)
	command.AddCommand(sourceCommand(app, source{
		use:   "leancloud <export.tar.gz | directory | file.jsonl>",
		short: "Import a LeanCloud data export: users with their WeChat accounts, and every class",
		long: `Imports a LeanCloud data export (the console's 数据导出, or POST /1.1/exportData) in one
transaction: every _User becomes a user with the same id, each mini-program openid
(authData.lc_weapp) a WeChat account of the mini-program --appid names, so that the
user's next wx.login lands on the same account; every class becomes a collection
whose records keep their ids, owners (the one user their ACL lets write) and public
read. Stop the server first: it caches collections and would not see the import.

The export holds no file, only each File's URL and name (in _File). Download them
into a directory and give it as --files: each File is looked for at its URL's
path below it, with or without the host (https://host/a/b.png: a/b.png or
host/a/b.png); as <objectId> with any extension, or <objectId>/<name>; then by the
last segment of its URL, then by its name, anywhere below, when just one file there
and one file of the export have that name. A field whose files are found becomes a
file field and each record's files are stored with it; the URL of a file not found
is kept in <field>_url and reported. Without --files, a field of Files keeps URLs.`,
		mapHelp:      `a JSON file: {"miniPrograms": {"<authData key>": "<appid>"}} for other mini-programs, {"rules": {"<class>": "<preset>"}}`,
		withACL:      true,
		defaultRules: "acl",
		read: func(path string, m MapFile) (int, writer, error) {
			platforms := make([]string, 0, len(m.MiniPrograms))
			for p := range m.MiniPrograms {
				platforms = append(platforms, p)
			}
			sort.Strings(platforms)
			x, err := exports.ReadLeanCloud(path, platforms)
			if err != nil {
				return 0, nil, err
			}
			total := len(x.Users)
			for _, c := range x.Classes {
				total += len(c.Records)
			}
			return total, func(r run) (*Report, error) {
				return LeanCloud(app, x, Options{AppID: r.appID, MiniPrograms: m.MiniPrograms, NoPasswordHash: cfg.NoPasswordHash, EnvApp: cfg.EnvApp, DryRun: r.dryRun, Rules: r.rules, CollectionRules: r.byName, Progress: r.progress, Files: r.files, OwnHooks: ownHooks})
			}, nil
		},
		filesHelp: `a directory of the export's files, downloaded from their URLs (found by URL path, host and path, objectId, or name): they go into file fields`,
	}))
	command.AddCommand(sourceCommand(app, source{
		use:   "cloudbase <export.json | directory>",
		short: "Import a WeChat CloudBase database export: a user per openid, and every collection",
		long: `Imports the files of CloudBase's database export (one JSON file per collection, as the
console's 导出 or databasemigrateexport writes them) in one transaction: each distinct
_openid becomes a user with a WeChat account of the mini-program --appid names (or
the user already holding that account here), so the user's next wx.login lands on
it; every collection keeps its records' _id and is owned by their creator, under
CloudBase's default permission (the creator reads and writes). Stop the server first.

The export holds no file, only cloud:// ids. Download the cloud storage into a
directory, keeping the files' paths (tcb storage download / <dir> --dir), and give
it as --files: the file of cloud://<env>.<bucket>/<path> is looked for at <path>
below it (or <env>.<bucket>/<path>, or <bucket>/<path>), then by its file name
anywhere below, when just one file there and one id of the export have that name.
A field whose files are found becomes a file field and each record's files are
stored with it; the id of a file not found is kept in <field>_url and reported.
Without --files, cloud:// ids stay text.`,
		mapHelp:      `a JSON file: {"collections": {"<export's name>": "<name here>"}, "keyedByOpenID": ["<collection>"], "rules": {"<collection>": "<preset>"}}`,
		defaultRules: "creator",
		read: func(path string, m MapFile) (int, writer, error) {
			x, err := exports.ReadCloudBase(path, m.KeyedByOpenID)
			if err != nil {
				return 0, nil, err
			}
			total := 0
			for _, c := range x.Collections {
				total += len(c.Records)
			}
			return total, func(r run) (*Report, error) {
				return CloudBase(app, x, CloudBaseOptions{AppID: r.appID, Collections: m.Collections, NoPasswordHash: cfg.NoPasswordHash, EnvApp: cfg.EnvApp, DryRun: r.dryRun, Rules: r.rules, CollectionRules: r.byName, Progress: r.progress, Files: r.files, OwnHooks: ownHooks})
			}, nil
		},
		filesHelp: `a directory of the cloud storage's files, downloaded keeping their paths (cloud://<env>.<bucket>/<path> found at <path>): they go into file fields`,
	}))
	return command
}

// source is one kind of export an import subcommand takes.
type source struct {
	use, short, long, mapHelp string
	filesHelp                 string
	withACL                   bool   // its records carry ACLs (the acl preset)
	defaultRules              string // --rules' default
	// read reads and checks the whole export, and returns how many
	// records it holds and what writes them.
	read func(path string, m MapFile) (int, writer, error)
}

// writer imports an export read, or plans it (dryRun).
type writer func(run) (*Report, error)

// sourceCommand is `wxbase import <source>`: the export is read and checked
// whole before anything is written, never beside a running server.
func sourceCommand(app core.App, src source) *cobra.Command {
	var appID, mapPath, rulesName, filesDir string
	var dryRun, asJSON bool
	command := &cobra.Command{
		Use:          src.use,
		Short:        src.short,
		Long:         src.long,
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if appID == "" {
				return errors.New("--appid is required: the mini-program (wechat_apps) the export's openids belong to")
			}
			// Held until the import ends: a server started meanwhile is
			// refused, as an import beside a running server is.
			lock, err := lockDataDir(app)
			if err != nil {
				return err
			}
			defer lock.Release()
			m, err := readMap(mapPath)
			if err != nil {
				return err
			}
			if filesDir != "" {
				if info, err := os.Stat(filesDir); err != nil || !info.IsDir() {
					return fmt.Errorf("--files %s: not a directory", filesDir)
				}
			}
			r := run{appID: appID, dryRun: dryRun, files: filesDir, byName: map[string]Rules{}}
			if r.rules, err = RulePreset(rulesName, src.withACL); err != nil {
				return err
			}
			for name, preset := range m.Rules {
				if r.byName[name], err = RulePreset(preset, src.withACL); err != nil {
					return fmt.Errorf("%s, rules of %s: %w", mapPath, name, err)
				}
			}
			if os.Getenv("GOGC") == "" {
				// The export is held whole between reading and writing:
				// collecting half as often saves 7% of the import's time,
				// for a third more memory at its peak (BENCHMARKS.md);
				// GOGC=100 keeps Go's default.
				defer debug.SetGCPercent(debug.SetGCPercent(200))
			}
			total, write, err := src.read(args[0], m)
			if err != nil {
				return fmt.Errorf("nothing was imported: %w", err)
			}
			// wxbase's collections (wechat_apps, wechat_accounts) come with
			// its migrations, which serve applies: a data directory never
			// served needs them too.
			if err := app.RunAllMigrations(); err != nil {
				return fmt.Errorf("applying the migrations: %w", err)
			}
			r.progress = &Progress{}
			stop, stopped := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(stopped)
				showProgress(os.Stderr, r.progress, total, stop)
			}()
			report, err := write(r)
			close(stop)
			<-stopped
			if err != nil {
				return fmt.Errorf("nothing was imported: %w", err)
			}
			return printOut(cmd.OutOrStdout(), report, dryRun, asJSON)
		},
	}
	command.Flags().StringVar(&appID, "appid", "", "the appid of the mini-program (in wechat_apps) whose openids the export holds")
	command.Flags().StringVar(&mapPath, "map", "", src.mapHelp)
	command.Flags().StringVar(&filesDir, "files", "", src.filesHelp)
	command.Flags().StringVar(&rulesName, "rules", src.defaultRules, "the API rules of the collections the import makes, one of:\n"+RulePresetHelp(src.withACL))
	command.Flags().BoolVar(&dryRun, "dry-run", false, "say what the import would do, and write nothing")
	command.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return command
}

// lockDataDir takes the data directory's lock for the import, refusing to
// import under a running server (or beside another import).
func lockDataDir(app core.App) (*datalock.Lock, error) {
	lock, err := datalock.Acquire(app.DataDir(), datalock.Importing)
	var held *datalock.HeldError
	if errors.As(err, &held) && held.Doing == datalock.Importing {
		return nil, fmt.Errorf("%w: wait for it to end", held)
	}
	if errors.As(err, &held) {
		return nil, fmt.Errorf("%w: stop it, import, then start it again (a running server caches collections and would not see the import)", held)
	}
	if err != nil {
		return nil, fmt.Errorf("locking the data directory: %w", err)
	}
	return lock, nil
}

// readMap reads --map's file, if given.
func readMap(path string) (MapFile, error) {
	var m MapFile
	if path == "" {
		return m, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// printOut prints a report, as JSON or for a person.
func printOut(out io.Writer, report *Report, dryRun, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	printReport(out, report, dryRun)
	return nil
}

// printReport writes the report for a person.
func printReport(out io.Writer, r *Report, dryRun bool) {
	verb := "Imported"
	if dryRun {
		verb = "Would import"
	}
	fmt.Fprintf(out, "%s %d users with %d WeChat accounts, and %d collections:\n", verb, r.Users, r.Accounts, len(r.Collections))
	for _, c := range r.Collections {
		state := ""
		if c.Created {
			state = ", new"
		}
		if c.Rules != "" {
			state += ", rules " + c.Rules
		}
		fmt.Fprintf(out, "  %s (from %s): %d records, %d new, %d updated%s\n", c.Name, c.Class, c.Records, c.New, c.Updated, state)
		for _, f := range c.Fields {
			line := "    + " + f.Name + ": " + f.Kind
			if f.Target != "" {
				line += " → " + f.Target
			}
			if f.Why != "" {
				line += " (" + f.Why + ")"
			}
			fmt.Fprintln(out, line)
		}
	}
	presets := make([]string, 0, len(r.Rules))
	for name := range r.Rules {
		presets = append(presets, name)
	}
	sort.Strings(presets)
	for _, name := range presets {
		rules := r.Rules[name]
		fmt.Fprintf(out, "Rules %s: list %q, view %q, create %q, update %q, delete %q.\n", name, rules["list"], rules["view"], rules["create"], rules["update"], rules["delete"])
	}
	for _, n := range r.Notes {
		fmt.Fprintln(out, "Note: "+n+".")
	}
	for class, n := range r.Skipped {
		fmt.Fprintf(out, "Not imported: %d %s records (no counterpart here).\n", n, class)
	}
	if len(r.Problems) > 0 {
		fmt.Fprintf(out, "Problems (%d):\n", len(r.Problems))
		for _, p := range r.Problems {
			fmt.Fprintln(out, "  - "+p)
		}
	}
	if len(r.NotCarried) > 0 {
		fmt.Fprintf(out, "Not carried over (%d):\n", len(r.NotCarried))
		for _, p := range r.NotCarried {
			fmt.Fprintln(out, "  - "+p)
		}
	}
	if dryRun {
		fmt.Fprintln(out, "Dry run: nothing was written.")
	}
}
