package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
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
}

// NewCommand is `wxbase import`, with its source subcommands.
func NewCommand(app core.App, cfg Config) *cobra.Command {
	command := &cobra.Command{
		Use:   "import",
		Short: "Bring users and data over from LeanCloud",
	}
	var appID, mapPath string
	var dryRun, asJSON bool
	leancloud := &cobra.Command{
		Use:   "leancloud <export.tar.gz | directory | file.jsonl>",
		Short: "Import a LeanCloud data export: users with their WeChat accounts, and every class",
		Long: `Imports a LeanCloud data export (the console's 数据导出, or POST /1.1/exportData) in one
transaction: every _User becomes a user with the same id, each mini-program openid
(authData.lc_weapp) a WeChat account of the mini-program --appid names, so that the
user's next wx.login lands on the same account; every class becomes a collection
whose records keep their ids, owners (the one user their ACL lets write) and public
read. Stop the server first: it caches collections and would not see the import.`,
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if appID == "" {
				return errors.New("--appid is required: the mini-program (wechat_apps) the export's openids belong to")
			}
			if err := datalock.Holder(app.DataDir()); err != nil {
				var held *datalock.HeldError
				if errors.As(err, &held) {
					return fmt.Errorf("%w: stop it, import, then start it again (a running server caches collections and would not see the import)", held)
				}
				return err
			}
			var m MapFile
			if mapPath != "" {
				raw, err := os.ReadFile(mapPath)
				if err != nil {
					return err
				}
				if err := json.Unmarshal(raw, &m); err != nil {
					return fmt.Errorf("%s: %w", mapPath, err)
				}
			}
			platforms := make([]string, 0, len(m.MiniPrograms))
			for p := range m.MiniPrograms {
				platforms = append(platforms, p)
			}
			sort.Strings(platforms)
			// The whole export is read and checked before anything is written.
			x, err := exports.ReadLeanCloud(args[0], platforms)
			if err != nil {
				return fmt.Errorf("nothing was imported: %w", err)
			}
			// wxbase's collections (wechat_apps, wechat_accounts) come with
			// its migrations, which serve applies: a data directory never
			// served needs them too.
			if err := app.RunAllMigrations(); err != nil {
				return fmt.Errorf("applying the migrations: %w", err)
			}
			report, err := LeanCloud(app, x, Options{AppID: appID, MiniPrograms: m.MiniPrograms, NoPasswordHash: cfg.NoPasswordHash, EnvApp: cfg.EnvApp, DryRun: dryRun})
			if err != nil {
				return fmt.Errorf("nothing was imported: %w", err)
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(report)
			}
			printReport(cmd.OutOrStdout(), report, dryRun)
			return nil
		},
	}
	leancloud.Flags().StringVar(&appID, "appid", "", "the appid of the mini-program (in wechat_apps) whose openids the export holds")
	leancloud.Flags().StringVar(&mapPath, "map", "", `a JSON file: {"miniPrograms": {"<authData key>": "<appid>"}} for other mini-programs`)
	leancloud.Flags().BoolVar(&dryRun, "dry-run", false, "say what the import would do, and write nothing")
	leancloud.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	command.AddCommand(leancloud)
	return command
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
