package agent

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/edgeprint/edgeprint/ldapauth"
)

// directorySyncBatch is how many users one push to the relay carries.
const directorySyncBatch = 500

// directorySync imports each directory that has a sync_interval into the
// relay, now and then every interval, until ctx ends. Only identities
// travel: the import reads no password.
func (a *Agent) directorySync(ctx context.Context) error {
	if a.dir == nil {
		return nil
	}
	var wg sync.WaitGroup
	for _, c := range a.dir.Clients() {
		if every := time.Duration(c.Config().SyncInterval); every > 0 {
			wg.Go(func() { a.directorySyncLoop(ctx, c, every) })
		}
	}
	wg.Wait()
	return nil
}

func (a *Agent) directorySyncLoop(ctx context.Context, c *ldapauth.Client, every time.Duration) {
	log := a.log.With("component", "ldap sync", "domain", c.Config().Domains[0])
	t := time.NewTimer(0)
	defer t.Stop()
	failing, synced := false, false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := a.syncDirectory(ctx, c)
		a.dir.Metrics.Sync(err)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			if !failing {
				log.Warn("directory sync failed; retrying every interval", "err", err, "interval", every)
			}
			failing = true
		default:
			if failing || !synced {
				log.Info("directory synced to the relay", "users", n)
			}
			failing, synced = false, true
		}
		t.Reset(every)
	}
}

// syncDirectory reads c's people and pushes them to the relay in batches.
func (a *Agent) syncDirectory(ctx context.Context, c *ldapauth.Client) (int, error) {
	users, err := c.Users(ctx)
	if err != nil {
		return 0, err
	}
	for i := 0; i < len(users); i += directorySyncBatch {
		batch := users[i:min(i+directorySyncBatch, len(users))]
		body := map[string]any{"domain": c.Config().Domains[0], "users": batch}
		if err := a.relay.callJSON(ctx, http.MethodPost, "/agent/v1/directory/users", body, nil); err != nil {
			return i, err
		}
	}
	return len(users), nil
}
