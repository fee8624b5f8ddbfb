package relay

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// ErrDataDirInUse is returned by the operator functions while a relay (or
// another operator command) has the data dir open.
var ErrDataDirInUse = store.ErrInUse

// InitOptions describe the first company of a relay.
type InitOptions struct {
	CompanyCode   string
	CompanyName   string
	AdminEmail    string
	AdminPassword string // empty: generate one
	// Database, when set, is a PostgreSQL URL: Init writes it to the data
	// dir's "database" file first, so this relay and its replicas keep
	// their store there.
	Database string
}

// InitResult is what Init made. AdminPassword is the admin's password, the
// one given or the generated one; APIToken is shown once and kept only as
// a hash.
type InitResult struct {
	CompanyID     string
	AdminPassword string
	APIToken      string
}

// Init creates a company (retention "immediate", local authentication),
// its admin user and a first API token named "init", in dataDir. The relay
// must not be running. It fails if the company code exists.
func Init(ctx context.Context, dataDir string, o InitOptions) (InitResult, error) {
	code, err := store.NormalizeCompanyCode(o.CompanyCode)
	if err != nil {
		return InitResult{}, fmt.Errorf("relay: init: %w", err)
	}
	name, err := cleanName("company name", o.CompanyName)
	if err != nil {
		return InitResult{}, fmt.Errorf("relay: init: %w", err)
	}
	pw := o.AdminPassword
	if pw == "" {
		pw = newPassword()
	}
	if o.Database != "" {
		if err := WriteDatabaseURL(dataDir, o.Database); err != nil {
			return InitResult{}, err
		}
	}
	db, err := openOperatorStore(dataDir)
	if err != nil {
		return InitResult{}, err
	}
	defer db.Close()

	if _, err := db.CompanyByCode(ctx, code); err == nil {
		return InitResult{}, fmt.Errorf("relay: init: company %s already exists", code)
	} else if !errors.Is(err, store.ErrNotFound) {
		return InitResult{}, fmt.Errorf("relay: init: %w", err)
	}
	now := time.Now().UTC()
	company := store.Company{ID: newID(), Code: code, Name: name, Retention: store.RetentionImmediate, AuthType: store.AuthLocal, Created: now}
	admin, err := newUser(company.ID, userRequest{Email: o.AdminEmail, Name: "Administrator", Password: pw, Admin: true})
	if err != nil {
		return InitResult{}, fmt.Errorf("relay: init: admin: %w", err)
	}
	if err := db.CreateCompany(ctx, company); err != nil {
		return InitResult{}, fmt.Errorf("relay: init: %w", err)
	}
	if err := db.CreateUser(ctx, admin); err != nil {
		return InitResult{}, fmt.Errorf("relay: init: admin: %w", err)
	}
	token, err := createToken(ctx, db, company.ID, "init")
	if err != nil {
		return InitResult{}, err
	}
	return InitResult{CompanyID: company.ID, AdminPassword: pw, APIToken: token}, nil
}

// CreateToken makes a new admin API token for the company with code and
// returns it; only its hash is kept. The relay must not be running.
func CreateToken(ctx context.Context, dataDir, companyCode, name string) (string, error) {
	name, err := cleanName("token name", name)
	if err != nil {
		return "", fmt.Errorf("relay: create token: %w", err)
	}
	db, err := openOperatorStore(dataDir)
	if err != nil {
		return "", err
	}
	defer db.Close()
	company, err := db.CompanyByCode(ctx, companyCode)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("relay: create token: no company %q", companyCode)
	} else if err != nil {
		return "", fmt.Errorf("relay: create token: %w", err)
	}
	return createToken(ctx, db, company.ID, name)
}

func createToken(ctx context.Context, db store.Store, companyID, name string) (string, error) {
	token := newAPIToken()
	t := store.Token{Hash: hashSecret(token), CompanyID: companyID, Name: name, Created: time.Now().UTC()}
	if err := db.CreateToken(ctx, t); err != nil {
		return "", fmt.Errorf("relay: create token: %w", err)
	}
	return token, nil
}

// openOperatorStore opens the store of dataDir for an operator command,
// creating the directory on first use.
func openOperatorStore(dataDir string) (store.Store, error) {
	if dataDir == "" {
		return nil, errors.New("relay: data dir is required")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("relay: data dir: %w", err)
	}
	return openStore(dataDir)
}
