// Command kasse is a touchscreen till for Vipps MobilePay in-store payments
// with a customer club.
//
//	kasse [flags]            start the till (cashier window + customer display)
//	kasse sim [flags]        run the Vipps MobilePay simulator on its own
//	kasse version            print the version
//
// Run "kasse COMMAND --help" for the flags of each command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/kasse-pos/kasse/app"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// runFunc runs a command once its flags have parsed; out is its standard output.
type runFunc func(ctx context.Context, args []string, out io.Writer) error

// command is one subcommand: its flags are registered on fs, and run is
// called with the remaining arguments once they parse.
type command struct {
	name    string
	summary string
	setup   func(fs *flag.FlagSet) runFunc
}

func commands() []command {
	return []command{
		{"till", "start the till (default when no command is given)", tillCommand},
		{"sim", "run the Vipps MobilePay simulator standalone", simCommand},
		{"version", "print the version and exit", versionCommand},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "kasse %s — a till for Vipps MobilePay in-store payments with customer club\n\n", app.Version)
	fmt.Fprintln(w, "Usage:\n  kasse [COMMAND] [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'kasse COMMAND --help' for the flags of a command.")
}

// run executes kasse with args and returns the process exit code:
// 0 on success, 1 when the command failed, 2 for a usage error.
func run(args []string, stdout, stderr io.Writer) int {
	name := "till"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	} else if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		usage(stdout)
		return 0
	}
	if name == "help" {
		usage(stdout)
		return 0
	}
	var cmd *command
	for _, c := range commands() {
		if c.name == name {
			cmd = &c
			break
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "kasse: unknown command %q\n\n", name)
		usage(stderr)
		return 2
	}

	fs := flag.NewFlagSet("kasse "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	exec := cmd.setup(fs)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: kasse %s [flags]\n  %s\n\nFlags:\n", cmd.name, cmd.summary)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return 0
		}
		return 2 // the flag package already printed the problem and the usage
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := exec(ctx, fs.Args(), stdout); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "kasse %s: %v\n", cmd.name, err)
			return 2
		}
		fmt.Fprintf(stderr, "kasse %s: %v\n", cmd.name, err)
		return 1
	}
	return 0
}

// usageError marks a mistake in how a command was called (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func noArgs(args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", args[0])}
	}
	return nil
}

func tillCommand(fs *flag.FlagSet) runFunc {
	cfg := app.DefaultConfig()
	configFile := fs.String("config", "", "configuration file (default: config.json in the data directory)")
	cfg.RegisterFlags(fs)
	return func(ctx context.Context, args []string, out io.Writer) error {
		if err := noArgs(args); err != nil {
			return err
		}
		if err := cfg.Load(*configFile, fs); err != nil {
			return err
		}
		return app.Run(ctx, cfg)
	}
}

func simCommand(fs *flag.FlagSet) runFunc {
	cfg := app.DefaultSimConfig()
	cfg.RegisterFlags(fs)
	return func(ctx context.Context, args []string, out io.Writer) error {
		if err := noArgs(args); err != nil {
			return err
		}
		return app.RunSim(ctx, cfg, out)
	}
}

func versionCommand(fs *flag.FlagSet) runFunc {
	return func(_ context.Context, args []string, out io.Writer) error {
		if err := noArgs(args); err != nil {
			return err
		}
		fmt.Fprintln(out, "kasse", app.Version)
		return nil
	}
}
