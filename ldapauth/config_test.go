package ldapauth

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	good := Config{Domains: []string{"acme.example", "ACME"}, Servers: []string{"ldap://dc1.acme.example", "ldaps://dc2.acme.example:636"}, BaseDN: "dc=acme,dc=example"}
	if err := good.Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	tests := []struct {
		name, want string
		change     func(*Config)
	}{
		{"no domains", "domains", func(c *Config) { c.Domains = nil }},
		{"bad domain", "domains", func(c *Config) { c.Domains = []string{"ac me"} }},
		{"no servers", "servers", func(c *Config) { c.Servers = nil }},
		{"http server", "servers", func(c *Config) { c.Servers = []string{"http://x"} }},
		{"ldaps with starttls", "starttls", func(c *Config) { c.StartTLS = true }},
		{"bad base", "base_dn", func(c *Config) { c.BaseDN = "acme" }},
		{"bind dn without password", "bind_password", func(c *Config) { c.BindDN = "cn=x,dc=y" }},
		{"bad filter", "user_filter", func(c *Config) { c.UserFilter = "(uid={user}" }},
		{"two group sources", "choose one", func(c *Config) { c.GroupAttribute, c.GroupFilter = "memberOf", "(member={dn})" }},
		{"template without user", "user_dn_template", func(c *Config) { c.UserDNTemplate = "uid=x,dc=y" }},
		{"huge timeout", "op_timeout", func(c *Config) { c.OpTimeout = Duration(time.Hour) }},
		{"missing CA file", "ca_file", func(c *Config) { c.CAFile = "/nonexistent/ca.pem" }},
		{"sync without service account", "sync_interval needs", func(c *Config) { c.SyncInterval = Duration(time.Hour) }},
		{"sync too often", "sync_interval must", func(c *Config) { c.SyncInterval = Duration(time.Millisecond) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			c.Domains = append([]string(nil), good.Domains...)
			tc.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want an error about %q", err, tc.want)
			}
		})
	}
}

func TestSecretRedacts(t *testing.T) {
	var c Config
	if err := json.Unmarshal([]byte(`{"bind_password":"s3cret-svc","op_timeout":"2s"}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.BindPassword.Reveal() != "s3cret-svc" || time.Duration(c.OpTimeout) != 2*time.Second {
		t.Fatalf("decoded %#v", c)
	}
	out, _ := json.Marshal(c)
	if strings.Contains(string(out), "s3cret-svc") {
		t.Fatalf("JSON shows the secret: %s", out)
	}
	if s := c.BindPassword.String(); s != "[redacted]" {
		t.Fatalf("String = %q", s)
	}
}
