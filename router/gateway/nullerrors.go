package gateway

import (
	"bytes"
	"encoding/json"
	"io"
)

// nonNullMessage starts the error the engine adds where a non-null field is
// null.
var nonNullMessage = []byte("Cannot return null for non-nullable field")

// mergeNullErrors gives each field one error, as the GraphQL spec asks
// ("only one error should be added to the errors list per field"). When a
// subgraph reports an error for a non-null field, the engine reports it and
// then, finding the field null, adds its own "Cannot return null" error at
// the same field. The subgraph's error says why and is kept; the engine's
// is dropped. The engine's error has the better path, though: for an
// entity fetch below a list the engine drops the list index from the
// subgraph error's path (["products","price"] for ["products",0,"price"]),
// so the kept error takes the engine's path, once per field it nulled (a
// deduplicated entity can sit at several places in the response).
func mergeNullErrors(body []byte) ([]byte, error) {
	var resp rendered
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, err
	}
	type gqlError struct {
		Message string `json:"message"`
		Path    []any  `json:"path"`
	}
	parsed := make([]gqlError, len(resp.Errors))
	for i, raw := range resp.Errors {
		if err := json.Unmarshal(raw, &parsed[i]); err != nil {
			return nil, err
		}
	}
	isNull := func(i int) bool {
		return bytes.HasPrefix([]byte(parsed[i].Message), nonNullMessage)
	}
	// replaced[i] lists the paths error i (a subgraph's) takes over from
	// the engine's null errors at its field.
	replaced := map[int][][]any{}
	dropped := map[int]bool{}
	for n := range parsed {
		if !isNull(n) || len(parsed[n].Path) == 0 {
			continue
		}
		for i := range parsed {
			if i == n || isNull(i) || !sameField(parsed[i].Path, parsed[n].Path) {
				continue
			}
			replaced[i] = append(replaced[i], parsed[n].Path)
			dropped[n] = true
			break
		}
	}
	if len(dropped) == 0 {
		return body, nil
	}
	kept := make([]json.RawMessage, 0, len(resp.Errors))
	for i, raw := range resp.Errors {
		switch {
		case dropped[i]:
		case len(replaced[i]) > 0:
			for _, p := range replaced[i] {
				e, err := withPath(raw, p)
				if err != nil {
					return nil, err
				}
				kept = append(kept, e)
			}
		default:
			kept = append(kept, raw)
		}
	}
	resp.Errors = kept
	return json.Marshal(resp)
}

// sameField reports whether a subgraph error's path names the field at
// full, a path with every list index: equal, or equal once full's indices
// are dropped (the engine's rewrite of entity error paths drops them).
func sameField(sub, full []any) bool {
	if len(sub) == len(full) {
		for i := range sub {
			if sub[i] != full[i] {
				return false
			}
		}
		return true
	}
	j := 0
	for _, el := range full {
		if _, isIndex := el.(float64); isIndex {
			continue
		}
		if j >= len(sub) || sub[j] != el {
			return false
		}
		j++
	}
	return j == len(sub)
}

func withPath(raw json.RawMessage, path []any) (json.RawMessage, error) {
	var e map[string]json.RawMessage
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, err
	}
	p, err := json.Marshal(path)
	if err != nil {
		return nil, err
	}
	e["path"] = p
	return json.Marshal(e)
}

// nullErrorWriter applies mergeNullErrors to a response written straight
// to the client; the engine writes a response in one Write, errors first.
type nullErrorWriter struct{ w io.Writer }

func (n nullErrorWriter) Write(p []byte) (int, error) {
	if !bytes.HasPrefix(p, []byte(`{"errors":`)) || !bytes.Contains(p, nonNullMessage) {
		return n.w.Write(p)
	}
	fixed, err := mergeNullErrors(p)
	if err != nil {
		return 0, err
	}
	if _, err := n.w.Write(fixed); err != nil {
		return 0, err
	}
	return len(p), nil
}
