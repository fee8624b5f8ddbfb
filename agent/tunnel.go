package agent

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/edgeprint/edgeprint/certs"
	"github.com/edgeprint/edgeprint/tunnel"
)

// maxConfigBody bounds a configuration push from the relay.
const maxConfigBody = 8 << 20

// keepTunnel keeps the tunnel to the relay up until ctx ends.
func (a *Agent) keepTunnel(ctx context.Context) error {
	url := toWebsocketURL(a.id.RelayURL) + "/api/v1/agents/tunnel"
	header := http.Header{}
	header.Set("Authorization", "Bearer "+a.id.AgentID+"."+a.id.Secret.Reveal())
	header.Set("X-Edgeprint-Machine", MachineHash())
	a.announceDomains(header)
	header.Set("X-Edgeprint-Version", a.version) // shown in the console after an update
	tlsConfig := certs.PinnedConfig(a.id.RelayFingerprint)
	dial := func(ctx context.Context) (*tunnel.Session, error) {
		return tunnel.Dial(ctx, url, header, tlsConfig)
	}
	k := tunnel.Keeper{Backoff: a.cfgBackoff, Logger: a.log.With("component", "tunnel"), Metrics: a.tunnelMetrics}
	k.Run(ctx, dial, a.runSession)
	return nil
}

// runSession serves the relay's requests and catches up on what happened
// while the tunnel was down.
func (a *Agent) runSession(ctx context.Context, s *tunnel.Session) {
	a.sess.set(s)
	defer a.sess.set(nil)
	served := make(chan struct{})
	go func() {
		defer close(served)
		s.Serve(a.tunnelHandler())
	}()
	defer func() { s.Close(); <-served }()

	if sc, err := a.relay.siteConfig(ctx); err != nil {
		a.log.Warn("fetch site configuration", "err", err)
	} else if err := a.applySiteConfig(sc); err != nil {
		a.log.Error("save site configuration", "err", err)
	} else {
		a.reportHealthy()
	}
	a.kick(a.uploadKick)
	a.kick(a.updateKick)
	a.kick(a.disc.dirty) // the relay may have missed inventory changes
	select {
	case <-s.Done():
	case <-ctx.Done():
	}
}

func (a *Agent) session() *tunnel.Session { return a.sess.get() }

// tunnelHandler serves the relay's calls to the agent.
func (a *Agent) tunnelHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /relay/v1/config", func(w http.ResponseWriter, r *http.Request) {
		data, err := io.ReadAll(io.LimitReader(r.Body, maxConfigBody))
		var sc SiteConfig
		if err == nil {
			// Lenient on purpose: a newer relay may add fields an older
			// agent must ignore.
			err = json.Unmarshal(data, &sc)
		}
		if err != nil {
			http.Error(w, `{"error":"bad configuration"}`, http.StatusBadRequest)
			return
		}
		if err := a.applySiteConfig(sc); err != nil {
			a.log.Error("save pushed configuration", "err", err)
			http.Error(w, `{"error":"could not save"}`, http.StatusInternalServerError)
			return
		}
		a.log.Info("site configuration updated", "printers", len(sc.Printers), "readers", len(sc.Readers))
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /relay/v1/ldap/authenticate", a.serveDirectoryLogin)
	// The relay has a new release: check now rather than at the next tick.
	mux.HandleFunc("POST /relay/v1/update", func(w http.ResponseWriter, r *http.Request) {
		a.kick(a.updateKick)
		w.WriteHeader(http.StatusAccepted)
	})
	a.discoveryTunnelRoutes(mux) // discovery_admin.go
	mux.HandleFunc("POST /relay/v1/unlock", a.serveUnlock)
	mux.HandleFunc("POST /relay/v1/panel/logout", a.serveForceLogout)
	mux.HandleFunc("POST /relay/v1/release", a.servePortalRelease) // portal_release.go
	return mux
}

func toWebsocketURL(u string) string {
	switch {
	case len(u) > 8 && u[:8] == "https://":
		return "wss://" + u[8:]
	case len(u) > 7 && u[:7] == "http://":
		return "ws://" + u[7:]
	}
	return u
}
