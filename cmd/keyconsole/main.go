// Command keyconsole runs the API access key console: `serve`, `migrate`,
// `backup FILE`, `migrate-data`. See CONTRACT.md for flags and exit codes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// main runs the command line. The first SIGINT or SIGTERM asks the
// server to drain; a second one stops it at once.
func main() {
	ctx, stop := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-signals
		stop()
		<-signals
		fmt.Fprintln(os.Stderr, "keyconsole: stopped at once by a second signal")
		os.Exit(exitError)
	}()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stderr))
}

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// helpShown answers -h: the usage, and success.
type helpShown struct{ msg string }

func (h helpShown) Error() string { return h.msg }

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usageText = "usage: keyconsole serve|migrate|backup FILE|migrate-data --from FILE --to URL|user add [flags]|jwks rotate"

// run executes one command line and returns the exit status; every failure
// is reported as one line on stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stderr io.Writer) int {
	err := dispatch(ctx, args, getenv, stdin, stderr)
	var ue usageError
	var help helpShown
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &help):
		fmt.Fprintln(stderr, "keyconsole "+oneLine(help.msg))
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "keyconsole: "+oneLine(ue.msg))
		return exitUsage
	default:
		fmt.Fprintln(stderr, "keyconsole: "+oneLine(err.Error()))
		return exitError
	}
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{usageText}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stderr)
	case "migrate":
		return migrate(ctx, rest, getenv)
	case "backup":
		return backup(ctx, rest, getenv)
	case "migrate-data":
		return migrateData(ctx, rest, getenv, stderr)
	case "user":
		return userCommand(ctx, rest, getenv, stdin)
	case "jwks":
		return jwksCommand(ctx, rest, getenv, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stderr, usageText)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q; %s", cmd, usageText)}
}

// flagSet makes a flag set that reports errors instead of printing and exiting.
func flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args; a flag left unset takes its value from the named
// environment variable. Positional arguments are returned.
// Flags may come before or after the positional arguments.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string, env map[string]string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, helpShown{fs.Name() + ": flags: " + flagNames(fs)}
			}
			return nil, usageError{fs.Name() + ": " + err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		positional, args = append(positional, fs.Arg(0)), fs.Args()[1:]
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, variable := range env {
		if v := getenv(variable); v != "" && !set[name] {
			if err := fs.Set(name, v); err != nil {
				return nil, usageError{fmt.Sprintf("%s: %s: %v", fs.Name(), variable, err)}
			}
		}
	}
	return positional, nil
}

func flagNames(fs *flag.FlagSet) string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, "--"+f.Name) })
	return strings.Join(names, " ")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
