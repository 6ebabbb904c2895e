package user

import "testing"

// TestPasswordMatchesDoesTheSameWork: a wrong password, an unknown email (no
// hash) and a malformed hash each cost exactly one argon2id derivation with
// the same parameters, so a login's time cannot tell them apart. Counted, not
// timed: a timing test is at the mercy of the machine's load.
func TestPasswordMatchesDoesTheSameWork(t *testing.T) {
	// Not parallel: it swaps idKey, and parallel tests wait for it to end.
	type work struct{ passes, memory uint32 }
	var done []work
	derive := idKey
	idKey = func(pw, salt []byte, passes, memory uint32, threads uint8, keyLen uint32) []byte {
		done = append(done, work{passes, memory})
		return derive(pw, salt, passes, memory, threads, keyLen)
	}
	defer func() { idKey = derive }()
	real, err := HashPassword("the right password")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, hash, password string }{
		{"wrong password", real, "a wrong password"},
		{"unknown email", "", "a wrong password"},
		{"malformed hash", "$argon2id$v=19$m=1,t=1,p=1$%%%$%%%", "a wrong password"},
		{"another scheme", "$2a$10$abcdefghijklmnopqrstuv", "a wrong password"},
	} {
		done = nil
		if PasswordMatches(c.hash, c.password) {
			t.Fatalf("%s: matched", c.name)
		}
		if want := (work{argonTime, argonMemory}); len(done) != 1 || done[0] != want {
			t.Errorf("%s: derivations %v, want one %v", c.name, done, want)
		}
	}
	done = nil
	if !PasswordMatches(real, "the right password") || len(done) != 1 {
		t.Fatalf("right password: derivations %v", done)
	}
}
