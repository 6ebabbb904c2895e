package user

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/myshop/supergraph/platform/errs"
	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1
// lane). They are written into each hash, so raising them later only
// affects new and changed passwords.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// MinPasswordLength is the password policy's minimum, in characters.
const MinPasswordLength = 10

//go:embed common-passwords.txt
var commonPasswordsFile []byte

var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	s := bufio.NewScanner(bytes.NewReader(commonPasswordsFile))
	for s.Scan() {
		if line := strings.TrimSpace(s.Text()); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

// CheckPassword applies the password policy; the error is a *errs.Problem.
func CheckPassword(password string) error {
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return &errs.Problem{Field: errs.Field("password"), Code: CodePasswordTooShort,
			Message: fmt.Sprintf("the password must have at least %d characters", MinPasswordLength)}
	}
	if commonPasswords[strings.ToLower(password)] {
		return &errs.Problem{Field: errs.Field("password"), Code: CodePasswordTooCommon,
			Message: "this password is too common; choose another"}
	}
	return nil
}

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// idKey derives an argon2id key; a variable so a test can count the work
// a login does.
var idKey = argon2.IDKey

// dummyHash is checked against when there is no real hash to check, so a
// login for an unknown email costs the same time as a wrong password.
var dummyHash, _ = HashPassword("no such user, but the same work")

// PasswordMatches reports whether password matches encoded, in time that
// does not depend on whether encoded is empty or malformed.
func PasswordMatches(encoded, password string) bool {
	var version int
	var memory uint32
	var passes uint32
	var threads uint8
	parts := strings.Split(encoded, "$")
	real := len(parts) == 6 && parts[1] == "argon2id"
	if real {
		_, err1 := fmt.Sscanf(parts[2], "v=%d", &version)
		_, err2 := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads)
		real = err1 == nil && err2 == nil && version == argon2.Version
	}
	if !real {
		PasswordMatches(dummyHash, password)
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		PasswordMatches(dummyHash, password)
		return false
	}
	got := idKey([]byte(password), salt, passes, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
