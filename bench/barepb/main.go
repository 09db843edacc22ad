// Command barepb is bare PocketBase, built from the PocketBase version that
// wxbase's go.mod names and nothing else: the bench (go run ./bench -login)
// builds it and sends it the same record requests as wxbase, to show what
// wxbase adds to them.
package main

import (
	"log"

	"github.com/pocketbase/pocketbase"
)

func main() {
	app := pocketbase.New()
	if err := app.Start(); err != nil {
		log.Fatal(err)
	}
}
