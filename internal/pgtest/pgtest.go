package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// Superuser is the role initdb creates; every URL connects as it.
	Superuser = "edgeprint"

	startTimeout = 60 * time.Second // initdb plus the first accepted connection
	stopTimeout  = 30 * time.Second // a fast shutdown before we kill
	portAttempts = 5                // a free port may be taken before postgres binds it
	maxSocketDir = 90               // unix socket paths are limited to 107 bytes
)

// ErrNotInstalled is returned by Start when no PostgreSQL binaries are found.
var ErrNotInstalled = errors.New("pgtest: postgresql is not installed")

// Server is a running throwaway cluster.
type Server struct {
	Port int
	dir  string // holds data/ and postgres.log

	cmd      *exec.Cmd
	exited   chan struct{} // closed once the postmaster has exited
	waitErr  error
	stopOnce sync.Once
	stopErr  error
}

// Start creates a cluster in dir (which must exist and should be empty) and
// runs it on a free loopback port until Stop.
func Start(dir string) (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := prepareDir(dir, data, cred); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", data, "--auth=trust", "-U", Superuser, "--no-sync", "-E", "UTF8", "--locale=C")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}
	for attempt := 1; ; attempt++ {
		s, err := launch(ctx, bin, dir, cred, 0)
		if err == nil {
			return s, nil
		}
		if attempt == portAttempts || ctx.Err() != nil {
			return nil, err
		}
	}
}

// launch runs the postmaster of the cluster in dir on port (0: a free
// one) and waits until it accepts connections.
func launch(ctx context.Context, bin, dir string, cred *syscall.Credential, port int) (*Server, error) {
	if port == 0 {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		port = p
	}
	data := filepath.Join(dir, "data")
	sockets := data
	if len(sockets) > maxSocketDir {
		sockets = "" // TCP only
	}
	logPath := filepath.Join(dir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	defer logFile.Close()
	s := &Server{Port: port, dir: dir, exited: make(chan struct{})}
	s.cmd = exec.Command(filepath.Join(bin, "postgres"),
		"-D", data, "-k", sockets, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "full_page_writes=off", // throwaway cluster: see the package doc
		"-c", "max_connections=400", "-c", "shared_buffers=64MB")
	s.cmd.Dir = dir
	s.cmd.Stdout = logFile
	s.cmd.Stderr = logFile
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}

	started := make(chan error, 1)
	go s.run(started)
	if err := <-started; err != nil {
		return nil, fmt.Errorf("pgtest: start postgres: %w", err)
	}
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, fmt.Errorf("pgtest: %w\n%s", err, logTail(logPath))
	}
	return s, nil
}

// run starts the postmaster and waits for it on one locked OS thread, so
// Pdeathsig fires only when the whole test process goes away.
func (s *Server) run(started chan<- error) {
	runtime.LockOSThread() // never unlocked: the thread dies with this goroutine, after the child
	if err := s.cmd.Start(); err != nil {
		started <- err
		return
	}
	started <- nil
	s.waitErr = s.cmd.Wait()
	close(s.exited)
}

func (s *Server) waitReady(ctx context.Context) error {
	for {
		attempt, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := pgx.Connect(attempt, s.url("postgres"))
		cancel()
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-s.exited:
			return fmt.Errorf("postgres exited: %v", s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("postgres not ready: %w", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// CreateDatabase creates an empty database called name and returns its URL.
func (s *Server) CreateDatabase(ctx context.Context, name string) (string, error) {
	if err := s.exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgtest: create database %q: %w", name, err)
	}
	return s.url(name), nil
}

// DropDatabase drops database name, closing its connections.
func (s *Server) DropDatabase(ctx context.Context, name string) error {
	if err := s.exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("pgtest: drop database %q: %w", name, err)
	}
	return nil
}

func (s *Server) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.url("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// URL returns the URL of database name on this server.
func (s *Server) URL(name string) string { return s.url(name) }

func (s *Server) url(name string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(Superuser),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)),
		Path:     "/" + name,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Stop shuts the server down (fast shutdown: open sessions are ended) and
// waits for it to exit. It may be called more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.stopErr = s.signalAndWait(syscall.SIGINT)
	})
	return s.stopErr
}

// Kill stops the server at once (immediate shutdown, as after a crash);
// a later Restart recovers. For tests of reconnection.
func (s *Server) Kill() error {
	return s.signalAndWait(syscall.SIGQUIT)
}

func (s *Server) signalAndWait(sig syscall.Signal) error {
	select {
	case <-s.exited:
		return nil
	default:
	}
	if err := s.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("pgtest: stop postgres: %w", err)
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(stopTimeout):
		s.cmd.Process.Kill()
		<-s.exited
		return errors.New("pgtest: postgres ignored the shutdown signal and was killed")
	}
}

// Restart starts a stopped server again on the same port, for tests of
// what survives a PostgreSQL restart.
func (s *Server) Restart() error {
	select {
	case <-s.exited:
	default:
		if err := s.signalAndWait(syscall.SIGINT); err != nil {
			return err
		}
	}
	bin, err := binDir()
	if err != nil {
		return err
	}
	cred, err := runAs()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	var last error
	for range portAttempts { // the port was ours a moment ago; it may take a moment to free
		n, err := launch(ctx, bin, s.dir, cred, s.Port)
		if err == nil {
			s.cmd, s.exited, s.waitErr = n.cmd, n.exited, nil
			s.stopOnce = sync.Once{}
			return nil
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return last
}

func logTail(path string) string {
	b, _ := os.ReadFile(path)
	const keep = 4000
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	return string(bytes.TrimSpace(b))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// binDir finds the newest installed PostgreSQL's binaries.
func binDir() (string, error) {
	if dir := os.Getenv("PGTEST_BIN"); dir != "" {
		return dir, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	var found []string
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			found = append(found, d)
		}
	}
	if len(found) == 0 {
		return "", ErrNotInstalled
	}
	slices.SortFunc(found, func(a, b string) int { return majorOf(a) - majorOf(b) })
	return found[len(found)-1], nil
}

// majorOf reads the version from /usr/lib/postgresql/<major>/bin.
func majorOf(bin string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return n
}

// runAs returns the postgres user's credential when we are root, else nil
// (run as ourselves).
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root needs the postgres user: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("pgtest: postgres user: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// prepareDir makes data (mode 0700, as initdb wants) and, when cred is
// set, hands dir and data to that user and lets it reach them.
func prepareDir(dir, data string, cred *syscall.Credential) error {
	if err := os.MkdirAll(data, 0o700); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if cred == nil {
		return nil
	}
	for _, d := range []string{dir, data} {
		if err := os.Chown(d, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(p, fi.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("pgtest: let postgres reach %s: %w", dir, err)
			}
		}
		if p == "/" || !strings.Contains(p, "/") {
			return nil
		}
	}
}
