package hooks

import (
	"fmt"
	"os"

	"github.com/fatih/color"
)

// printMockWarning makes mock mode impossible to miss in a terminal or a
// service log: it accepts made-up codes, so anyone can log in as anyone.
func printMockWarning() {
	banner := color.New(color.FgHiYellow, color.Bold)
	line := "================================================================"
	banner.Fprintln(os.Stderr, line)
	banner.Fprintln(os.Stderr, "  WARNING: --wechat-mock is ON. WeChat is NOT consulted.")
	banner.Fprintln(os.Stderr, "  Any code of the form mock:<name> logs in as that user.")
	banner.Fprintln(os.Stderr, "  Never expose this server to real users.")
	banner.Fprintln(os.Stderr, line)
	fmt.Fprintln(os.Stderr)
}

// printMockAppWarning points an admin at a mock app left in wechat_apps.
func printMockAppWarning(appID string) {
	warning := color.New(color.FgHiYellow, color.Bold)
	warning.Fprintf(os.Stderr, "WARNING: wechat_apps holds %s, the app of --wechat-mock, which is off:\n", appID)
	warning.Fprintln(os.Stderr, "  the app is ignored. Delete its row in the dashboard (wechat_apps).")
	fmt.Fprintln(os.Stderr)
}
