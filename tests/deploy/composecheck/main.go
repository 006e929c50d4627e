// composecheck loads a compose file with compose-go, the loader `docker compose` is built on:
// the file is checked against the Compose Specification's schema, then variables, profiles,
// anchors and env files are resolved as Docker would. It prints the resolved project as JSON,
// or one line naming the problem and exits 1.
//
// Usage: composecheck [-name NAME] [-env-file FILE] [-profile NAME]... COMPOSE_FILE
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	name := flag.String("name", "", "project name (default: the file's directory)")
	envFile := flag.String("env-file", "", "env file for interpolation (default: .env beside the file)")
	var profiles listFlag
	flag.Var(&profiles, "profile", "a profile to enable (repeatable)")
	flag.Parse()
	if flag.NArg() != 1 {
		fail(fmt.Errorf("usage: composecheck [-name NAME] [-env-file FILE] [-profile NAME]... COMPOSE_FILE"))
	}
	file := flag.Arg(0)

	options := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(filepath.Dir(file)),
		cli.WithOsEnv,
		cli.WithProfiles(profiles),
	}
	if *envFile != "" {
		options = append(options, cli.WithEnvFiles(*envFile))
	} else {
		options = append(options, cli.WithEnvFiles())
	}
	// After the env files are chosen: it reads them.
	options = append(options, cli.WithDotEnv)
	if *name != "" {
		options = append(options, cli.WithName(*name))
	}
	projectOptions, err := cli.NewProjectOptions([]string{file}, options...)
	if err != nil {
		fail(err)
	}
	project, err := projectOptions.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	out, err := project.MarshalJSON()
	if err != nil {
		fail(err)
	}
	os.Stdout.Write(append(out, '\n'))
}

func fail(err error) {
	line := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
	fmt.Fprintf(os.Stderr, "composecheck: %s\n", line)
	os.Exit(1)
}
