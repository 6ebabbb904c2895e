// Package repocheck holds tests about the repository itself rather than
// about any program in it: what git tracks, run by `make test` like every
// other test so a mistake fails the same command that catches a bug.
package repocheck
