// Package user is the users domain: accounts and what may be read of them.
package user

// User is an account.
type User struct {
	ID    string
	Name  string
	Email string
}
