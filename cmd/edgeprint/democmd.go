package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"text/template"

	"github.com/edgeprint/edgeprint/demo"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "edgeprint demo [--dir DIR] [--ephemeral]", stderr)
	dir := fs.String("dir", "", "keep the demo's data here and write DIR/demo.json (default: a temporary directory)")
	ephemeral := fs.Bool("ephemeral", false, "let the system pick every port")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	d, err := demo.Start(ctx, demo.Options{Dir: *dir, Ephemeral: *ephemeral, Version: version,
		Logger: newLogger(stderr, *level, "text")})
	if err != nil {
		return err
	}
	readerHost, readerPort, _ := net.SplitHostPort(d.Info.Reader.ConnectTo)
	if err := demoHelp.Execute(stdout, struct {
		demo.Info
		PrintURI, Dir, ReaderHost, ReaderPort string
	}{d.Info, d.Info.UserURI(d.Info.IPPURI), filepath.Dir(d.Info.SamplePDF), readerHost, readerPort}); err != nil {
		return err
	}
	err = d.Wait()
	fmt.Fprintln(stdout, "demo stopped")
	return err
}

var demoHelp = template.Must(template.New("demo").Parse(`
edgeprint demo is running on loopback. Press Ctrl-C to stop.

  Print queue     {{.IPPSURI}}  (also {{.IPPURI}})
  Relay console   {{.ConsoleURL}}   company {{.Company}}, admin {{.Admin.Email}} / {{.Admin.Password}}
  Agent status    {{.StatusURL}}
  Panel login     {{.ConvenienceAuthURL}}  (Convenience Authentication; SSO {{.SSOURL}})
  User            {{.User.Email}} / {{.User.Password}}, badge {{.User.Card}}
  Printer         {{.Printer}}, jobs land in {{.PrinterOutputDir}}

Try it:
  1. Print as the user (held until they badge in):
       ipptool -tv -f {{.SamplePDF}} '{{.PrintURI}}' print-job.test
  2. Swipe the badge on the card reader (an Elatec TCPConv at {{.Reader.Address}}):
       printf '{{.User.Card}}\r\n' > /dev/tcp/{{.ReaderHost}}/{{.ReaderPort}}     (bash; or: nc {{.ReaderHost}} {{.ReaderPort}})
  3. The job comes out of the printer:
       ls -l {{.PrinterOutputDir}}

Every endpoint and credential is in {{.Dir}}/demo.json.
`))
