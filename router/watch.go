package router

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// watchFile polls path and calls reload with its new content whenever its
// modification time or content hash changes. Polling (not inotify) needs no
// dependency and works on bind mounts and ConfigMap symlink swaps alike.
// reload's error is logged; the file is not retried until it changes again.
// A change is read once the file has looked the same (modification time and
// size) for one whole interval, which keeps a file being rewritten in place
// from being read half written unless its writer stalls longer than that;
// deployments replace the file whole (a rename), which is never torn.
func watchFile(ctx context.Context, path string, every time.Duration, current []byte, reload func([]byte) error, log *slog.Logger) {
	type stamp struct {
		mtime time.Time
		size  int64
	}
	// The zero stamps make the first ticks read the file: a change made
	// between loading current and starting to watch is not missed.
	var seen, read stamp
	sum := sha256.Sum256(current)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		info, err := os.Stat(path)
		if err != nil {
			log.Warn("supergraph file unreadable; still serving the loaded one", "path", path, "err", err)
			continue
		}
		now := stamp{info.ModTime(), info.Size()}
		if now == read {
			continue
		}
		if now != seen {
			seen = now // still settling, or just changed: look again next tick
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			log.Warn("supergraph file unreadable; still serving the loaded one", "path", path, "err", err)
			continue
		}
		read = now
		if s := sha256.Sum256(data); s != sum {
			sum = s
			if err := reload(data); err != nil {
				log.Error("supergraph reload refused; still serving the previous one", "path", path, "err", err)
				continue
			}
			log.Info("supergraph reloaded", "path", path, "sha256", fmt.Sprintf("%x", sum[:8]))
		}
	}
}
