package relay

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestPrinterInventory: an agent reports discovered printers; they appear
// disabled, follow an address change by serial, leave manual printers as
// they are, stay inside the company, and an admin enables and renames one.
func TestPrinterInventory(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	globex := initTenant(t, dir, "GLOBEX")
	r := startRelay(t, dir)
	var manual struct{ ID string }
	r.call(t, "POST", "/api/v1/printers", acme.token, map[string]any{
		"name": "Front desk", "address": "10.0.0.50", "protocol": "raw9100",
	}, http.StatusCreated, &manual)
	creds := registerTestAgent(t, r, acme, "HQ-PC-01")
	a := connectAgent(t, r, creds)

	type result struct {
		Printers []inventoryResult `json:"printers"`
	}
	hp := map[string]any{"address": "10.0.0.7", "manufacturer": "HP", "model": "Color LaserJet M452nw",
		"serial": "VNB3J99999", "mac": "94:57:a5:34:df:33", "color": true, "status": "idle", "page_count": 1234,
		"supplies": []map[string]any{{"name": "Black", "percent": 54, "level": 54, "max": 100}}, "future_field": 1}
	front := map[string]any{"address": "10.0.0.50", "manufacturer": "Ricoh", "model": "MP C3002", "serial": "W492"}
	var got result
	a.call(t, "PUT", "/agent/v1/printers", map[string]any{"printers": []any{hp, front}}, http.StatusOK, &got)
	if len(got.Printers) != 2 || !got.Printers[0].Created || got.Printers[0].Enabled || got.Printers[1].ID != manual.ID {
		t.Fatalf("first report: %+v", got.Printers)
	}
	hpID := got.Printers[0].ID

	hp["address"] = "10.0.0.8:161"
	hp["status"] = "printing"
	a.call(t, "PUT", "/agent/v1/printers", map[string]any{"printers": []any{hp}}, http.StatusOK, &got)
	if len(got.Printers) != 1 || got.Printers[0].ID != hpID || got.Printers[0].Address != "10.0.0.8" || got.Printers[0].Created {
		t.Fatalf("moved printer: %+v", got.Printers)
	}

	var list []apiPrinter
	r.call(t, "GET", "/api/v1/printers", acme.token, nil, http.StatusOK, &list)
	if len(list) != 2 {
		t.Fatalf("%d printers: %+v", len(list), list)
	}
	for _, p := range list {
		switch p.ID {
		case manual.ID:
			if p.Name != "Front desk" || !p.Enabled || p.Source != "manual" || p.Discovery == nil || p.Discovery.Serial != "W492" {
				t.Errorf("manual printer: %+v", p)
			}
		case hpID:
			if p.Source != "discovered" || p.Enabled || p.Discovery.Status != "printing" || *p.Discovery.PageCount != 1234 ||
				len(p.Discovery.Supplies) != 1 || p.Address != "10.0.0.8" {
				t.Errorf("discovered printer: %+v %+v", p, p.Discovery)
			}
		}
	}

	r.call(t, "PATCH", "/api/v1/printers/"+hpID, globex.token, map[string]any{"enabled": true}, http.StatusNotFound, nil)
	var patched apiPrinter
	r.call(t, "PATCH", "/api/v1/printers/"+hpID, acme.token, map[string]any{"enabled": true, "name": "2nd floor"}, http.StatusOK, &patched)
	if !patched.Enabled || patched.Name != "2nd floor" {
		t.Fatalf("patched: %+v", patched)
	}
	r.call(t, "PATCH", "/api/v1/printers/"+hpID, acme.token, map[string]any{}, http.StatusBadRequest, nil)
	r.call(t, "PATCH", "/api/v1/printers/"+hpID, acme.token, map[string]any{"name": ""}, http.StatusBadRequest, nil)
	cfg := a.waitConfig(t, func(c agentConfig) bool {
		for _, p := range c.Printers {
			if p.ID == hpID && p.Enabled {
				return true
			}
		}
		return false
	})
	_ = cfg

	var other []apiPrinter
	r.call(t, "GET", "/api/v1/printers", globex.token, nil, http.StatusOK, &other)
	if len(other) != 0 {
		t.Fatalf("GLOBEX sees %+v", other)
	}
	a.call(t, "PUT", "/agent/v1/printers", map[string]any{"printers": []any{map[string]any{"address": "not a host!"}}}, http.StatusBadRequest, nil)

	// Sweep now: the test agent does not serve /relay/v1/discover (409);
	// other companies and unknown ids are 404. The real agent's answer is
	// tested end to end in package demo.
	r.call(t, "POST", "/api/v1/agents/"+creds.id+"/discover", acme.token, nil, http.StatusConflict, nil)
	r.call(t, "POST", "/api/v1/agents/"+creds.id+"/discover", globex.token, nil, http.StatusNotFound, nil)
	r.call(t, "POST", "/api/v1/agents/"+newID()+"/discover", acme.token, nil, http.StatusNotFound, nil)
}

// TestConsoleEnablesPrinter: an admin enables a discovered printer from the
// console; a user cannot, nor can a forged form.
func TestConsoleEnablesPrinter(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r := startRelay(t, dir)
	r.call(t, "POST", "/api/v1/users", acme.token, map[string]any{"email": "ann@acme.example", "name": "Ann", "password": "ann-password"}, http.StatusCreated, nil)
	a := connectAgent(t, r, registerTestAgent(t, r, acme, "HQ-PC-01"))
	var got struct {
		Printers []inventoryResult `json:"printers"`
	}
	a.call(t, "PUT", "/agent/v1/printers", map[string]any{"printers": []any{map[string]any{
		"address": "10.0.0.7", "manufacturer": "Sharp", "model": "MX-M266NV", "serial": "0505571100", "status": "idle"}}}, http.StatusOK, &got)
	id := got.Printers[0].ID

	admin := newConsole(t, r)
	if status := admin.login(t, "ACME", acme.adminEmail, acme.adminPassword); status != http.StatusSeeOther {
		t.Fatalf("login: %d", status)
	}
	if _, body := admin.get(t, "/"); !strings.Contains(string(body), "Sharp MX-M266NV · 0505571100 · idle") || !strings.Contains(string(body), ">Enable<") {
		t.Fatalf("home: %s", body)
	}
	if resp, _ := admin.send(t, "POST", "/printers/"+id+"/enabled", url.Values{"csrf": {"forged"}, "enabled": {"true"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged form: %d", resp.StatusCode)
	}
	user := newConsole(t, r)
	if status := user.login(t, "ACME", "ann@acme.example", "ann-password"); status != http.StatusSeeOther {
		t.Fatalf("user login: %d", status)
	}
	if resp, _ := user.send(t, "POST", "/printers/"+id+"/enabled", url.Values{"csrf": {user.csrf(t, "/")}, "enabled": {"true"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("user enables: %d", resp.StatusCode)
	}
	if resp, _ := admin.send(t, "POST", "/printers/"+id+"/enabled", url.Values{"csrf": {admin.csrf(t, "/")}, "enabled": {"true"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin enables: %d", resp.StatusCode)
	}
	a.waitConfig(t, func(c agentConfig) bool {
		for _, p := range c.Printers {
			if p.ID == id && p.Enabled {
				return true
			}
		}
		return false
	})
}
