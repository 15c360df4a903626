package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"keyconsole/internal/apikey"
	"keyconsole/internal/auth"
	"keyconsole/internal/store"
	"keyconsole/internal/users"
	"keyconsole/internal/validate"
)

// bootstrapUsername is the first user of an empty database.
const bootstrapUsername = "admin"

// bootstrapAdmin gives a database without users the Global Admin "admin" in
// the root account. The password comes from KEYCONSOLE_ADMIN_PASSWORD or is
// random and printed to stderr this once (never logged), and then must be
// changed at the first sign-in; a password the operator chose stands. Of several
// instances starting at once, only the one whose admin was stored prints.
func bootstrapAdmin(ctx context.Context, db *store.DB, password string, stderr io.Writer) error {
	n, err := db.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	printed := password == ""
	if printed {
		if password, err = apikey.RandomBase62(20); err != nil {
			return err
		}
	} else if msg := validate.Password(password); msg != "" {
		return fmt.Errorf("KEYCONSOLE_ADMIN_PASSWORD: %s", msg)
	}
	created, err := users.New(db, auth.DefaultParams).CreateFirst(ctx, apikey.Actor{Principal: apikey.SystemPrincipal("bootstrap")},
		validate.User{Username: bootstrapUsername, Password: password, Role: apikey.RoleGlobalAdmin}, printed)
	if err != nil {
		return fmt.Errorf("add user %s: %s", bootstrapUsername, apikey.ErrorMessage(err))
	}
	if created && printed {
		fmt.Fprintf(stderr, "keyconsole: created user %q (Global Admin) with one-time password: %s\n", bootstrapUsername, password)
	}
	return nil
}

// addUser hashes the password and stores the user, in the root account
// unless one is named.
func addUser(ctx context.Context, db *store.DB, in validate.User, by string) error {
	if _, err := users.New(db, auth.DefaultParams).Create(ctx, apikey.Actor{Principal: apikey.SystemPrincipal(by)}, in); err != nil {
		return fmt.Errorf("add user %s: %s", in.Username, apikey.ErrorMessage(err))
	}
	return nil
}

// flagOfField names the flag behind each validation field.
var flagOfField = map[string]string{
	"username": "username", "password": "password-stdin", "role": "role",
	"account_id": "account", "role_accounts": "role-accounts",
}

// userCommand runs `keyconsole user add --username U --role ROLE [--account ID]
// [--role-accounts IDS] --password-stdin`.
func userCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError{"usage: keyconsole user add --username U --role ROLE [--account ID] --password-stdin"}
	}
	fs := flagSet("user add")
	dbPath := fs.String("db", defaultDB, "SQLite database file, or a postgres:// URL")
	username := fs.String("username", "", "username")
	role := fs.String("role", "", "role id")
	account := fs.String("account", "", "account id (default: the root account)")
	roleAccounts := fs.String("role-accounts", "", "for account-viewer: account ids, or all")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	rest, err := parseFlags(fs, args[1:], getenv, map[string]string{"db": "KEYCONSOLE_DB"})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{"user add: unexpected argument " + rest[0]}
	}
	if !*fromStdin {
		return usageError{"user add: give the password on standard input with --password-stdin (never as a flag)"}
	}
	password, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("read password: %w", err)
	}
	password = strings.TrimRight(password, "\r\n")
	in, errs := validate.NewUser(validate.UserInput{Username: *username, Password: password, Role: *role,
		AccountID: *account, RoleAccounts: []string{*roleAccounts}})
	if errs.Any() {
		var msgs []string
		for _, f := range errs.Fields() {
			msgs = append(msgs, "--"+flagOfField[f]+": "+errs[f])
		}
		return usageError{"user add: " + strings.Join(msgs, " ")}
	}
	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	return addUser(ctx, db, in, "cli")
}
