package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// The tests in the cluster*.go files check the interfaces of
// store/cluster.go. Until store.Store embeds them, a backend that lacks
// one skips its tests (the assertions keep holding afterwards).

// waitFor bounds how long a test waits for something another goroutine,
// replica or the database does: a message, a replica dropping out. It is
// a limit on hanging, not a timing assertion.
const waitFor = 20 * time.Second

// need returns s as T, or skips the test when the backend lacks T.
func need[T any](t *testing.T, s store.Store) T {
	t.Helper()
	v, ok := s.(T)
	if !ok {
		t.Skipf("backend lacks store.%s", reflect.TypeFor[T]().Name())
	}
	return v
}

// mustAgent registers agent id in company (which must exist) the way the
// relay does, so backends that check an agent exists are satisfied.
func mustAgent(t *testing.T, ctx context.Context, s store.Store, company, id string) {
	t.Helper()
	code := []byte(fmt.Sprintf("%-32s", "code-"+id))
	if err := s.CreateActivationCode(ctx, store.ActivationCode{Hash: code, CompanyID: company, Created: t0, Expires: t0.Add(time.Hour)}); err != nil {
		t.Fatalf("CreateActivationCode: %v", err)
	}
	a := store.Agent{ID: id, CompanyID: company, Name: id, MachineHash: "mh", SecretHash: []byte("secret-" + id), Registered: t0}
	if err := s.RegisterAgent(ctx, code, t0, a); err != nil {
		t.Fatalf("RegisterAgent(%s): %v", id, err)
	}
}
