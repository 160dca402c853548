package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"lifeline/accounts"
	"lifeline/api"
	"lifeline/api/auth"
	"lifeline/data/memstore"
	"lifeline/data/postgis"
	"lifeline/zones"
)

func init() {
	register("user", "manage accounts: user add|list|revoke|token|link (embedded store via --data-dir, PostGIS via DATABASE_URL)", runUser)
}

// authConfig is the part of serve's configuration about accounts.
type authConfig struct {
	CORSOrigins       string        // LIFELINE_CORS_ORIGINS, default "": origins allowed to call the API cross-site (comma-separated)
	SessionTTL        time.Duration // LIFELINE_SESSION_TTL, default 12h
	RateExpensive     float64       // LIFELINE_RATE_EXPENSIVE, default 30 per minute per account (negative: off)
	RateExpensiveIP   float64       // LIFELINE_RATE_EXPENSIVE_IP, default 60 per minute per client address
	RateBurst         float64       // LIFELINE_RATE_BURST, default 10 (per account; twice that per address)
	RateGuess         float64       // LIFELINE_RATE_GUESS, default 10 failed look-ups/sign-ins per minute per client address
	FirstLinkTTL      time.Duration // how long the first admin's sign-in link lasts (24h)
	PublicURLForLinks string        // LIFELINE_PUBLIC_URL: base of printed links, default the listen address
}

func (a *authConfig) flags(fs *flag.FlagSet, env func(k, def string) string) error {
	fl := func(name, key string, def float64, usage string, p *float64) error {
		v, err := strconv.ParseFloat(env(key, strconv.FormatFloat(def, 'g', -1, 64)), 64)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		fs.Float64Var(p, name, v, usage+" (env "+key+")")
		return nil
	}
	fs.StringVar(&a.CORSOrigins, "cors-origins", env("LIFELINE_CORS_ORIGINS", ""), "comma-separated origins (https://host:port) allowed to call the API from other sites; empty allows none (env LIFELINE_CORS_ORIGINS)")
	ttl, err := time.ParseDuration(env("LIFELINE_SESSION_TTL", "12h"))
	if err != nil {
		return fmt.Errorf("LIFELINE_SESSION_TTL: %w", err)
	}
	fs.DurationVar(&a.SessionTTL, "session-ttl", ttl, "how long a browser sign-in lasts (env LIFELINE_SESSION_TTL)")
	if err := fl("rate-expensive", "LIFELINE_RATE_EXPENSIVE", 30, "optimisations, site plans, matrices and isochrones per minute per account; negative turns the limit off", &a.RateExpensive); err != nil {
		return err
	}
	if err := fl("rate-expensive-ip", "LIFELINE_RATE_EXPENSIVE_IP", 60, "the same per client address", &a.RateExpensiveIP); err != nil {
		return err
	}
	if err := fl("rate-burst", "LIFELINE_RATE_BURST", 10, "burst of expensive requests per account (twice that per address)", &a.RateBurst); err != nil {
		return err
	}
	if err := fl("rate-guess", "LIFELINE_RATE_GUESS", 10, "failed route-list look-ups and sign-ins per minute per client address (burst the same)", &a.RateGuess); err != nil {
		return err
	}
	fs.StringVar(&a.PublicURLForLinks, "public-url", env("LIFELINE_PUBLIC_URL", ""), "base URL printed in sign-in links, e.g. https://lifeline.example.org (env LIFELINE_PUBLIC_URL)")
	a.FirstLinkTTL = 24 * time.Hour
	return nil
}

// newAuth builds the auth layer of serve over the store, creating the first
// admin account with a one-time sign-in link (printed to the log) when the
// store has none.
func newAuth(ctx context.Context, c Config, st zones.Store, log *slog.Logger) (*auth.Auth, error) {
	as, ok := st.(accounts.Store)
	if !ok {
		return nil, errors.New("serve: the store keeps no accounts")
	}
	secret, err := accounts.FirstAdmin(ctx, as, c.Auth.FirstLinkTTL, time.Now())
	if err != nil {
		return nil, fmt.Errorf("create the first admin account: %w", err)
	}
	if secret != "" {
		base := c.Auth.PublicURLForLinks
		if base == "" {
			base = "http://" + strings.Replace(c.Addr, "0.0.0.0:", "localhost:", 1)
			if strings.HasPrefix(c.Addr, ":") {
				base = "http://localhost" + c.Addr
			}
		}
		log.Warn("first start: created the account 'admin'; sign in ONCE within 24 h with this link and set a password on the admin page",
			"link", strings.TrimRight(base, "/")+"/signin.html#link="+secret)
	}
	var origins []string
	for _, o := range strings.Split(c.Auth.CORSOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	burst := max(c.Auth.RateBurst, 1)
	return auth.New(auth.Config{Store: as, Logger: log, SessionTTL: c.Auth.SessionTTL, CORSOrigins: origins,
		ExpensivePerMin: c.Auth.RateExpensive, ExpensiveBurst: burst, ExpensiveIPPerMin: c.Auth.RateExpensiveIP, ExpensiveIPBurst: 2 * burst,
		GuessPerMin: c.Auth.RateGuess, GuessBurst: max(c.Auth.RateGuess, 1), Before: api.AuditLoaders(st)}), nil
}

const userUsage = `usage: lifeline user <subcommand> [flags] [username]

  add    --role R [--password-stdin] USERNAME   create an account (prints a generated password unless --password-stdin)
  list                                          list the accounts
  revoke USERNAME                               revoke an account and all its tokens and sessions
  token  [--ttl 720h] [--name N] USERNAME       issue an API bearer token (printed once)
  link   USERNAME                               issue a one-time sign-in link (24 h)

The store: --data-dir (embedded, default var/lifeline, env LIFELINE_DATA_DIR) or
--database-url (PostGIS, env DATABASE_URL), as for 'lifeline serve'.`

func runUser(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdout, userUsage)
		return nil
	}
	sub, rest := args[0], args[1:]
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", env("LIFELINE_DATA_DIR", "var/lifeline"), "embedded store folder (env LIFELINE_DATA_DIR)")
	dbURL := fs.String("database-url", env("DATABASE_URL", ""), "PostGIS URL (env DATABASE_URL)")
	role := fs.String("role", "", "role: admin, planner, dispatcher, driver or viewer (add)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input (add)")
	ttl := fs.Duration("ttl", 30*24*time.Hour, "token lifetime (token)")
	name := fs.String("name", "", "what the token is for (token)")
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	var st accounts.Store
	if *dbURL != "" {
		pg, err := postgis.Open(ctx, *dbURL, postgis.WithoutZoneIndex())
		if err != nil {
			return fmt.Errorf("open PostGIS: %w", err)
		}
		defer pg.Close()
		st = pg
	} else {
		if err := os.MkdirAll(*dataDir, 0o755); err != nil {
			return err
		}
		// Accounts only: the zone log stays with the server, which may run.
		ms := memstore.OpenAccounts(filepath.Join(*dataDir, "store.json"))
		defer ms.Close()
		st = ms
	}
	now := time.Now()
	audit := func(entity, id, summary string) {
		who := "cli"
		if u := getenv("USER"); u != "" {
			who = "cli:" + u
		}
		if _, err := st.AppendAudit(ctx, accounts.AuditEntry{At: now, Actor: who, Role: accounts.RoleAdmin, Method: "CLI", Route: "lifeline user " + sub,
			Status: 0, Entity: entity, EntityID: id, Summary: summary}); err != nil {
			fmt.Fprintln(stderr, "warning: cannot write the audit trail:", err)
		}
	}
	username := func() (string, error) {
		if fs.NArg() != 1 {
			return "", fmt.Errorf("user %s: give exactly one username", sub)
		}
		return fs.Arg(0), nil
	}
	switch sub {
	case "add":
		u, err := username()
		if err != nil {
			return err
		}
		var pw string
		generated := false
		if *pwStdin {
			line, err := bufio.NewReader(os.Stdin).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			pw = strings.TrimRight(line, "\r\n")
			if err := accounts.CheckPasswordPolicy(pw); err != nil {
				return err
			}
		} else {
			secret, _ := accounts.NewSecret()
			pw, generated = secret[:20], true
		}
		a, err := st.CreateAccount(ctx, accounts.Account{Username: u, Role: accounts.Role(*role), PasswordHash: accounts.HashPassword(pw)})
		if err != nil {
			return err
		}
		audit("account", strconv.FormatInt(a.ID, 10), fmt.Sprintf(`{"username":%q,"role":%q}`, a.Username, a.Role))
		fmt.Fprintf(stdout, "created account %s (id %d, role %s)\n", a.Username, a.ID, a.Role)
		if generated {
			fmt.Fprintf(stdout, "password (shown once): %s\n", pw)
		}
	case "list":
		all, err := st.ListAccounts(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSERNAME\tROLE\tCREATED\tSTATE")
		for _, a := range all {
			state := "active"
			if !a.Active(now) {
				state = "revoked " + a.RevokedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", a.ID, a.Username, a.Role, a.CreatedAt.Format(time.RFC3339), state)
		}
		return tw.Flush()
	case "revoke", "token", "link":
		u, err := username()
		if err != nil {
			return err
		}
		a, err := st.GetAccountByUsername(ctx, u)
		if err != nil {
			return err
		}
		id := strconv.FormatInt(a.ID, 10)
		switch sub {
		case "revoke":
			if _, err := accounts.Revoke(ctx, st, a, now); err != nil {
				return err
			}
			audit("account", id, `{"revoked":true}`)
			fmt.Fprintf(stdout, "revoked account %s and all its tokens and sessions (a running server stops accepting them within seconds)\n", u)
		case "token":
			if !a.Active(now) {
				return fmt.Errorf("account %s is revoked", u)
			}
			secret, c, err := accounts.Issue(ctx, st, a.ID, accounts.KindToken, *name, *ttl, now)
			if err != nil {
				return err
			}
			audit("token", strconv.FormatInt(c.ID, 10), fmt.Sprintf(`{"account":%q,"expires_at":%q}`, u, c.ExpiresAt.Format(time.RFC3339)))
			fmt.Fprintf(stdout, "token %d for %s, valid until %s (shown once; send it as 'Authorization: Bearer <token>'):\n%s\n", c.ID, u, c.ExpiresAt.Format(time.RFC3339), secret)
		case "link":
			if !a.Active(now) {
				return fmt.Errorf("account %s is revoked", u)
			}
			secret, c, err := accounts.Issue(ctx, st, a.ID, accounts.KindLink, "sign-in link", 24*time.Hour, now)
			if err != nil {
				return err
			}
			audit("link", strconv.FormatInt(c.ID, 10), fmt.Sprintf(`{"account":%q}`, u))
			fmt.Fprintf(stdout, "one-time sign-in link for %s, valid for 24 h (append to the server's address):\n/signin.html#link=%s\n", u, secret)
		}
	default:
		fmt.Fprintln(stderr, userUsage)
		return fmt.Errorf("unknown user subcommand %q", sub)
	}
	return nil
}
