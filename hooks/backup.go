package hooks

import (
	"archive/zip"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"github.com/pocketbase/pocketbase/tools/inflector"
	"github.com/pocketbase/pocketbase/tools/security"

	"wxbase/datalock"
	"wxbase/replica"
	"wxbase/secrets"
	"wxbase/wechat/wechattest"
)

// KeptOutOfBackups names the entries directly in pb_data that no backup
// holds and no restore replaces. The encryption key is one: a backup that
// carried the key would also open the secrets it carries. The mock WeChat's
// state is another: it holds its session keys and tokens unsealed. The
// server's lock on the directory is a third: it belongs to the process
// that serves it, not to the data. So are the temporary files the mock WeChat's saves go through, which a
// kill during a save leaves behind (see keptOut).
var KeptOutOfBackups = []string{secrets.KeyringFile, mockStateFile, datalock.File}

// keptOut reports whether the pb_data entry at name ("/"-separated) is kept
// out of backups and restores: one of KeptOutOfBackups, or a temporary file
// of the mock WeChat's state.
func keptOut(name string) bool {
	return slices.Contains(KeptOutOfBackups, name) || wechattest.IsTempFileOf(mockStateFile, name)
}

// createBackup replaces the default action of PocketBase's CreateBackup, so
// the API, the dashboard and scheduled backups all take this path. It
// writes PocketBase's zip layout, which PocketBase's restore reads.
//
// PocketBase zips pb_data as it is, opening and closing data.db and its
// -wal and -shm in the server. Closing any descriptor of a file drops every
// POSIX lock this process holds on it, SQLite's included; a second process
// on the same pb_data (superuser upsert, a SQLite shell) then finds no one
// else there and deletes the WAL the server still commits to, so every
// later write is lost on a kill (pocketbase issue #7810). Here SQLite copies
// the databases itself, on the server's own connections, and the live
// files are never opened.
func createBackup(e *core.BackupEvent) error {
	ctx := e.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if e.Name == "" {
		e.Name = backupName(e.App)
	}

	// Inside pb_data, as PocketBase does, so the upload to the local
	// backups folder is a rename on the same device.
	tempDir := filepath.Join(e.App.DataDir(), core.LocalTempDirName, "pb_backup_"+security.PseudorandomString(6))
	if err := os.MkdirAll(tempDir, 0o755); err != nil {
		return fmt.Errorf("failed to create a temp dir: %w", err)
	}
	defer os.RemoveAll(tempDir)

	zipPath := filepath.Join(tempDir, "backup.zip")
	if err := writeBackup(ctx, e.App, zipPath, tempDir, e.Exclude); err != nil {
		return err
	}

	fsys, err := e.App.NewBackupsFilesystem()
	if err != nil {
		return err
	}
	defer fsys.Close()
	fsys.SetContext(ctx)

	file, err := filesystem.NewFileFromPath(zipPath)
	if err != nil {
		return err
	}
	file.OriginalName = e.Name
	file.Name = e.Name
	return fsys.UploadFile(file, file.Name)
}

// keepOutOfRestore leaves the entries of KeptOutOfBackups in place when a
// backup is restored: PocketBase moves everything else in pb_data aside for
// deletion, and no backup holds them to bring them back.
func keepOutOfRestore(e *core.BackupEvent) error {
	e.Exclude = append(e.Exclude, KeptOutOfBackups...)
	entries, err := os.ReadDir(e.App.DataDir())
	if err != nil {
		return err
	}
	for _, entry := range entries {
		if name := entry.Name(); keptOut(name) && !slices.Contains(e.Exclude, name) {
			e.Exclude = append(e.Exclude, name)
		}
	}
	return e.Next()
}

// writeBackup writes a zip of app's pb_data to zipPath: a snapshot of each
// database, made in snapshotDir, then every other regular file but those
// under exclude or KeptOutOfBackups and the live database files.
func writeBackup(ctx context.Context, app core.App, zipPath, snapshotDir string, exclude []string) error {
	exclude = append(slices.Clone(exclude), KeptOutOfBackups...)
	// Litestream's state belongs to this server's stream to the replica;
	// a restore leaves it out, and the restored data is streamed afresh.
	exclude = append(exclude, replica.StateDirs...)
	// The snapshots and the zip are made there, and must not zip themselves.
	exclude = append(exclude, core.LocalTempDirName)

	// Each snapshot is one read transaction on a concurrent connection: a
	// consistent copy while writers go on (WAL mode), made without the
	// single writer connection, which app.DB() would pick for a VACUUM and
	// hold for the whole copy. The two databases are copied one after the
	// other, not at one instant; auxiliary.db holds only the logs.
	databases := []struct {
		name string
		db   dbx.Builder
	}{
		{"data.db", app.ConcurrentDB()},
		{"auxiliary.db", app.AuxConcurrentDB()},
	}

	zf, err := os.Create(zipPath)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(zf)
	// PocketBase's archive.Create compresses the same way.
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})

	err = func() error {
		for _, d := range databases {
			if excluded(d.name, exclude) {
				continue
			}
			snapshot := filepath.Join(snapshotDir, d.name)
			if err := vacuumInto(ctx, d.db, snapshot); err != nil {
				return fmt.Errorf("failed to copy %s: %w", d.name, err)
			}
			if err := addFile(zw, d.name, snapshot); err != nil {
				return err
			}
			_ = os.Remove(snapshot) // zipped: free the space before the next copy
		}

		dataDir := app.DataDir()
		return fs.WalkDir(os.DirFS(dataDir), ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if name == "." {
				return nil
			}
			if excluded(name, exclude) || keptOut(name) {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			// Only regular files: PocketBase's restore extracts nothing else.
			if !d.Type().IsRegular() || isDatabaseFile(name) {
				return nil
			}
			return addFile(zw, name, filepath.Join(dataDir, filepath.FromSlash(name)))
		})
	}()
	if err != nil {
		return errors.Join(err, zw.Close(), zf.Close())
	}
	if err := zw.Close(); err != nil {
		return errors.Join(err, zf.Close())
	}
	return zf.Close()
}

// vacuumInto writes a consistent copy of db's database to the new file dest.
func vacuumInto(ctx context.Context, db dbx.Builder, dest string) error {
	_, err := db.NewQuery("VACUUM INTO {:dest}").Bind(dbx.Params{"dest": dest}).WithContext(ctx).Execute()
	return err
}

// isDatabaseFile reports whether the pb_data file at name is a live SQLite
// file, which the server must never open outside SQLite: the databases
// themselves, and any write-ahead log, shared-memory index or rollback
// journal, which mean nothing without the database they belong to.
func isDatabaseFile(name string) bool {
	if name == "data.db" || name == "auxiliary.db" {
		return true
	}
	return strings.HasSuffix(name, "-wal") || strings.HasSuffix(name, "-shm") || strings.HasSuffix(name, "-journal")
}

// addFile adds the file at path to zw as name.
func addFile(zw *zip.Writer, name, path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // deleted since it was listed: writes go on during a backup
	}
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	header, err := zip.FileInfoHeader(info)
	if err != nil {
		return err
	}
	header.Name = name
	header.Method = zip.Deflate
	w, err := zw.CreateHeader(header)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, f)
	return err
}

// excluded reports whether the pb_data entry at name ("/"-separated,
// relative to pb_data) is one of exclude or inside one.
func excluded(name string, exclude []string) bool {
	for _, ex := range exclude {
		ex = path.Clean(filepath.ToSlash(ex))
		if name == ex || strings.HasPrefix(name, ex+"/") {
			return true
		}
	}
	return false
}

// backupName is the name PocketBase gives a backup asked for without one.
func backupName(app core.App) string {
	appName := inflector.Snakecase(app.Settings().Meta.AppName)
	if len(appName) > 50 {
		appName = appName[:50]
	}
	return fmt.Sprintf("pb_backup_%s_%s.zip", appName, time.Now().UTC().Format("20060102150405"))
}
