package repocheck

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// maxTrackedBytes is the most a tracked file may weigh without review. Every
// clone pays for a blob forever, even after it is deleted, so a build output
// or a data dump committed by accident must fail the tests, not wait for
// someone to notice the clone got slow.
const maxTrackedBytes = 2 << 20

// reviewedAssets are the tracked files allowed over maxTrackedBytes, each
// with the reason it has to be in the repository. Add to it only in the
// commit that adds the asset, so a reviewer sees both together.
var reviewedAssets = map[string]string{}

func TestNoLargeUnreviewedFiles(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: no index to check")
	}
	root, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skip("not in a git checkout: no index to check")
	}
	sizes, err := indexSizes(strings.TrimSpace(string(root)))
	if err != nil {
		t.Fatal(err)
	}
	if len(sizes) == 0 {
		t.Fatal("git ls-files listed no files")
	}
	for path, size := range sizes {
		if size <= maxTrackedBytes {
			continue
		}
		if _, ok := reviewedAssets[path]; ok {
			continue
		}
		t.Errorf("%s is tracked and weighs %d bytes (over %d): untrack it (git rm --cached) and ignore it if it is a build output, or add it to reviewedAssets with the reason it must be committed", path, size, maxTrackedBytes)
	}
	for path := range reviewedAssets {
		if _, ok := sizes[path]; !ok {
			t.Errorf("reviewedAssets lists %s, which git no longer tracks: remove it from the list", path)
		}
	}
}

// indexSizes returns the size of every file in the index, by its path from
// the repository root. It reads the staged blobs, not the working tree, so a
// large file is caught as soon as it is added, before it is committed.
func indexSizes(root string) (map[string]int64, error) {
	ls := exec.Command("git", "ls-files", "-z", "--stage")
	ls.Dir = root
	out, err := ls.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files: %w", err)
	}
	var paths []string
	var objects bytes.Buffer
	for _, entry := range bytes.Split(out, []byte{0}) {
		if len(entry) == 0 {
			continue
		}
		// "<mode> <object> <stage>\t<path>"
		meta, path, ok := bytes.Cut(entry, []byte{'\t'})
		fields := strings.Fields(string(meta))
		if !ok || len(fields) != 3 {
			return nil, fmt.Errorf("git ls-files: unexpected entry %q", entry)
		}
		if fields[0] == "160000" {
			continue // a submodule: its commit is not a blob here
		}
		paths = append(paths, string(path))
		objects.WriteString(fields[1] + "\n")
	}
	cat := exec.Command("git", "cat-file", "--batch-check=%(objectsize)")
	cat.Dir = root
	cat.Stdin = &objects
	out, err = cat.Output()
	if err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	sizes := make(map[string]int64, len(paths))
	sc := bufio.NewScanner(bytes.NewReader(out))
	answers := 0
	for ; sc.Scan(); answers++ {
		i := answers
		if i >= len(paths) {
			return nil, fmt.Errorf("git cat-file: more answers than the %d objects asked", len(paths))
		}
		n, err := strconv.ParseInt(sc.Text(), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("git cat-file: size of %s: %w", paths[i], err)
		}
		// A path in conflict has one entry per stage; the largest counts.
		sizes[paths[i]] = max(sizes[paths[i]], n)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	if answers != len(paths) {
		return nil, fmt.Errorf("git cat-file: %d answers for %d objects", answers, len(paths))
	}
	return sizes, nil
}
