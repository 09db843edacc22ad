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
	// Collections renames CloudBase collections ({"users": "profiles"}).
	Collections map[string]string `json:"collections"`
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
read. Stop the server first: it caches collections and would not see the import.`,
		mapHelp: `a JSON file: {"miniPrograms": {"<authData key>": "<appid>"}} for other mini-programs`,
		read: func(path string, m MapFile) (writer, error) {
			platforms := make([]string, 0, len(m.MiniPrograms))
			for p := range m.MiniPrograms {
				platforms = append(platforms, p)
			}
			sort.Strings(platforms)
			x, err := exports.ReadLeanCloud(path, platforms)
			if err != nil {
				return nil, err
			}
			return func(appID string, dryRun bool) (*Report, error) {
				return LeanCloud(app, x, Options{AppID: appID, MiniPrograms: m.MiniPrograms, NoPasswordHash: cfg.NoPasswordHash, EnvApp: cfg.EnvApp, DryRun: dryRun, OwnHooks: ownHooks})
			}, nil
		},
	}))
	command.AddCommand(sourceCommand(app, source{
		use:   "cloudbase <export.json | directory>",
		short: "Import a WeChat CloudBase database export: a user per openid, and every collection",
		long: `Imports the files of CloudBase's database export (one JSON file per collection, as the
console's 导出 or databasemigrateexport writes them) in one transaction: each distinct
_openid becomes a user with a WeChat account of the mini-program --appid names (or
the user already holding that account here), so the user's next wx.login lands on
it; every collection keeps its records' _id and is owned by their creator, under
CloudBase's default permission (the creator reads and writes). Stop the server first.`,
		mapHelp: `a JSON file: {"collections": {"<export's name>": "<name here>"}}`,
		read: func(path string, m MapFile) (writer, error) {
			x, err := exports.ReadCloudBase(path)
			if err != nil {
				return nil, err
			}
			return func(appID string, dryRun bool) (*Report, error) {
				return CloudBase(app, x, CloudBaseOptions{AppID: appID, Collections: m.Collections, NoPasswordHash: cfg.NoPasswordHash, EnvApp: cfg.EnvApp, DryRun: dryRun, OwnHooks: ownHooks})
			}, nil
		},
	}))
	return command
}

// source is one kind of export an import subcommand takes.
type source struct {
	use, short, long, mapHelp string
	// read reads and checks the whole export, and returns what writes it.
	read func(path string, m MapFile) (writer, error)
}

// writer imports an export read, or plans it (dryRun).
type writer func(appID string, dryRun bool) (*Report, error)

// sourceCommand is `wxbase import <source>`: the export is read and checked
// whole before anything is written, never beside a running server.
func sourceCommand(app core.App, src source) *cobra.Command {
	var appID, mapPath string
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
			if err := refuseBesideServer(app); err != nil {
				return err
			}
			m, err := readMap(mapPath)
			if err != nil {
				return err
			}
			if os.Getenv("GOGC") == "" {
				// The export is held whole between reading and writing:
				// collecting half as often saves a tenth of the import's
				// time, for a third more memory at its peak.
				defer debug.SetGCPercent(debug.SetGCPercent(200))
			}
			write, err := src.read(args[0], m)
			if err != nil {
				return fmt.Errorf("nothing was imported: %w", err)
			}
			// wxbase's collections (wechat_apps, wechat_accounts) come with
			// its migrations, which serve applies: a data directory never
			// served needs them too.
			if err := app.RunAllMigrations(); err != nil {
				return fmt.Errorf("applying the migrations: %w", err)
			}
			report, err := write(appID, dryRun)
			if err != nil {
				return fmt.Errorf("nothing was imported: %w", err)
			}
			return printOut(cmd.OutOrStdout(), report, dryRun, asJSON)
		},
	}
	command.Flags().StringVar(&appID, "appid", "", "the appid of the mini-program (in wechat_apps) whose openids the export holds")
	command.Flags().StringVar(&mapPath, "map", "", src.mapHelp)
	command.Flags().BoolVar(&dryRun, "dry-run", false, "say what the import would do, and write nothing")
	command.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return command
}

// refuseBesideServer refuses to import under a running server.
func refuseBesideServer(app core.App) error {
	err := datalock.Holder(app.DataDir())
	var held *datalock.HeldError
	if errors.As(err, &held) {
		return fmt.Errorf("%w: stop it, import, then start it again (a running server caches collections and would not see the import)", held)
	}
	return err
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
		fmt.Fprintf(out, "  %s (from %s): %d records%s\n", c.Name, c.Class, c.Records, state)
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
	fmt.Fprintf(out, "Rules of the collections made: list and view %q, create %q, update and delete %q.\n", r.Rules["list"], r.Rules["create"], r.Rules["update"])
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
