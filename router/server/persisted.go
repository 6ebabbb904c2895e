package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/myshop/supergraph/router/gateway"
)

// Persisted-operation codes, as Apollo Router names them.
const (
	CodePersistedNotFound     = "PERSISTED_QUERY_NOT_FOUND"
	CodePersistedNotInList    = "PERSISTED_QUERY_NOT_IN_LIST"
	CodePersistedHashMismatch = "PERSISTED_QUERY_HASH_MISMATCH"
	CodePersistedUnsupported  = "PERSISTED_QUERY_NOT_SUPPORTED"
)

// persisted resolves persisted operations: documents from a manifest
// (safelisting, modes off/log/enforce) and automatic persisted queries
// (APQ: a client registers a document by sending it once with its
// sha256). APQ documents are kept in memory and, when Redis is configured,
// in Redis, so every replica knows them.
type persisted struct {
	mode     string            // off, log, enforce
	manifest map[string]string // sha256 hex → document
	apq      bool
	rdb      redis.UniversalClient
	prefix   string
	log      *slog.Logger
	onLog    func() // an unknown document ran in log mode

	mu  sync.Mutex
	mem map[string]string
	max int
}

// loadManifest reads {"operations": {"<sha256>": "<document>"}} and checks
// every hash, so a wrong entry fails at start, not at request time.
func loadManifest(path string) (map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("persisted operations manifest: %w", err)
	}
	var m struct {
		Operations map[string]string `json:"operations"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("persisted operations manifest %s: %w", path, err)
	}
	for hash, doc := range m.Operations {
		if sum := sha256Hex(doc); sum != strings.ToLower(hash) {
			return nil, fmt.Errorf("persisted operations manifest %s: entry %s has sha256 %s", path, hash, sum)
		}
	}
	out := make(map[string]string, len(m.Operations))
	for hash, doc := range m.Operations {
		out[strings.ToLower(hash)] = doc
	}
	return out, nil
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// resolve returns the document to run for a request.
func (p *persisted) resolve(ctx context.Context, req body) (string, *gateway.RequestError) {
	hash, hasHash, err := persistedHash(req.Extensions)
	if err != nil {
		return "", err
	}
	query := req.Query
	if hasHash && query == "" && p.mode == "off" && !p.apq && len(p.manifest) == 0 {
		// Apollo Client's persisted-query link then stops sending hashes.
		return "", &gateway.RequestError{Code: CodePersistedUnsupported, Message: "PersistedQueryNotSupported"}
	}
	switch {
	case hasHash && query == "":
		doc, ok := p.manifest[hash]
		if !ok && p.apq {
			doc, ok = p.lookupAPQ(ctx, hash)
		}
		if !ok {
			return "", &gateway.RequestError{Code: CodePersistedNotFound, Message: "PersistedQueryNotFound"}
		}
		return doc, nil
	case hasHash && (p.apq || p.mode != "off"):
		if sha256Hex(query) != hash {
			return "", &gateway.RequestError{Code: CodePersistedHashMismatch, Message: "the persisted query's sha256Hash does not match the query"}
		}
		if _, listed := p.manifest[hash]; !listed && p.apq {
			p.storeAPQ(ctx, hash, query)
		}
	}
	if p.mode == "off" || query == "" {
		return query, nil
	}
	if _, ok := p.manifest[sha256Hex(query)]; ok {
		return query, nil
	}
	if p.mode == "enforce" {
		return "", &gateway.RequestError{Code: CodePersistedNotInList, Message: "this router runs only operations from its persisted operation list"}
	}
	p.log.Warn("operation not in the persisted operation list", "sha256", sha256Hex(query))
	if p.onLog != nil {
		p.onLog()
	}
	return query, nil
}

// persistedHash reads extensions.persistedQuery.sha256Hash.
func persistedHash(ext json.RawMessage) (string, bool, *gateway.RequestError) {
	raw := bytes.TrimSpace(ext)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", false, nil
	}
	var e struct {
		PersistedQuery *struct {
			Version int    `json:"version"`
			Hash    string `json:"sha256Hash"`
		} `json:"persistedQuery"`
	}
	if raw[0] != '{' || json.Unmarshal(raw, &e) != nil {
		return "", false, &gateway.RequestError{Code: gateway.CodeBadRequest, Message: "extensions must be a JSON object"}
	}
	if e.PersistedQuery == nil {
		return "", false, nil
	}
	if e.PersistedQuery.Version != 0 && e.PersistedQuery.Version != 1 {
		return "", false, &gateway.RequestError{Code: gateway.CodeBadRequest, Message: "unsupported persistedQuery version"}
	}
	return strings.ToLower(e.PersistedQuery.Hash), true, nil
}

func (p *persisted) lookupAPQ(ctx context.Context, hash string) (string, bool) {
	p.mu.Lock()
	doc, ok := p.mem[hash]
	p.mu.Unlock()
	if ok || p.rdb == nil {
		return doc, ok
	}
	ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	doc, err := p.rdb.Get(ctx, p.prefix+hash).Result()
	if err != nil {
		return "", false // not there, or Redis is down: the client sends the document
	}
	p.remember(hash, doc)
	return doc, true
}

func (p *persisted) storeAPQ(ctx context.Context, hash, doc string) {
	p.remember(hash, doc)
	if p.rdb == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := p.rdb.Set(ctx, p.prefix+hash, doc, 24*time.Hour).Err(); err != nil {
		p.log.Warn("store persisted query", "err", err)
	}
}

// remember keeps a document in memory; when full, it starts over rather
// than track recency: clients re-register what they still use.
func (p *persisted) remember(hash, doc string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.mem) >= p.max {
		p.mem = map[string]string{}
	}
	p.mem[hash] = doc
}
