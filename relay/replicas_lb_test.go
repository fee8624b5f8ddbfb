package relay

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// replicaEnv, set to a data dir, makes the test binary a relay replica
// (TestMain calls runReplica) for TestReplicas.
const replicaEnv = "EDGEPRINT_TEST_REPLICA"

// runReplica serves the relay of the data dir in replicaEnv on a loopback
// port, prints "replica ADDR REPLICA_ID" and runs until SIGTERM, SIGINT or
// the parent closing its stdin.
func runReplica() int {
	dir := os.Getenv(replicaEnv)
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv, err := New(Config{Listen: "127.0.0.1:0", DataDir: dir, AdminListen: AdminOff}, logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { // the parent is gone when our stdin closes
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	fmt.Printf("replica %s %s\n", srv.Addr(), srv.store.ReplicaID())
	if err := srv.Serve(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// replicaProc is a relay replica running as a child process.
type replicaProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
	id    string
	logs  *syncBuffer
	done  chan struct{}
}

func startReplica(t *testing.T, dataDir string) *replicaProc {
	t.Helper()
	p := &replicaProc{logs: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], "-test.run=^$")
	p.cmd.Env = append(os.Environ(), replicaEnv+"="+dataDir)
	p.cmd.Stderr = p.logs
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "replica ") {
				ready <- sc.Text()
			}
		}
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.stdin.Close() // a clean stop
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("replica %s log:\n%s", p.id, p.logs.String())
		}
	})
	select {
	case line := <-ready:
		f := strings.Fields(line)
		p.addr, p.id = f[1], f[2]
	case <-p.done:
		t.Fatalf("replica exited before serving:\n%s", p.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("replica did not start:\n%s", p.logs.String())
	}
	return p
}

func (p *replicaProc) url() string { return "https://" + p.addr }

// kill is SIGKILL: no shutdown, no goodbye to the database.
func (p *replicaProc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// balancer is a round-robin TCP load balancer on loopback, passing TLS
// through as a real one in front of replicas must (the agents pin the
// relay's certificate). A backend that refuses the connection is skipped.
type balancer struct {
	ln       net.Listener
	backends []string

	mu    sync.Mutex
	next  int
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// balancerDialTimeout bounds reaching one backend.
const balancerDialTimeout = 2 * time.Second

func startBalancer(t *testing.T, backends []string) *balancer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &balancer{ln: ln, backends: backends, conns: map[net.Conn]struct{}{}}
	b.wg.Go(b.serve)
	t.Cleanup(b.close)
	return b
}

func (b *balancer) url() string { return "https://" + b.ln.Addr().String() }

func (b *balancer) serve() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.wg.Go(func() { b.proxy(c) })
	}
}

func (b *balancer) proxy(c net.Conn) {
	var up net.Conn
	for range b.backends {
		b.mu.Lock()
		addr := b.backends[b.next%len(b.backends)]
		b.next++
		b.mu.Unlock()
		var err error
		if up, err = net.DialTimeout("tcp", addr, balancerDialTimeout); err == nil {
			break
		}
	}
	if up == nil || !b.track(c, up) {
		c.Close()
		if up != nil {
			up.Close()
		}
		return
	}
	var wg sync.WaitGroup
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		// Either side ending ends both: a dead replica must look dead.
		dst.Close()
		src.Close()
	}
	wg.Go(func() { pipe(up, c) })
	wg.Go(func() { pipe(c, up) })
	wg.Wait()
	b.untrack(c, up)
}

func (b *balancer) track(cs ...net.Conn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conns == nil {
		return false
	}
	for _, c := range cs {
		b.conns[c] = struct{}{}
	}
	return true
}

func (b *balancer) untrack(cs ...net.Conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range cs {
		delete(b.conns, c)
	}
}

func (b *balancer) close() {
	b.ln.Close()
	b.mu.Lock()
	for c := range b.conns {
		c.Close()
	}
	b.conns = nil
	b.mu.Unlock()
	b.wg.Wait()
}
