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
