package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Scenario is one testdata/NAME.txtar file: sections "-- NAME --" hold each
// subgraph's SDL (x.graphql) and fixtures (x.json), the cases (cases.json)
// and, optionally, why our composer's output differs from Hive's (ours).
type Scenario struct {
	Name        string
	Description string
	Subgraphs   []SubgraphDef
	Cases       []Case
	// OurGap, when set, records a known difference between our composition
	// and Hive's for this scenario; the test fails if the gap disappears.
	OurGap string
	// Supergraph is Hive's composition (testdata/NAME.supergraph.graphql).
	Supergraph string
}

// SubgraphDef is a subgraph of a scenario.
type SubgraphDef struct {
	Name     string
	SDL      string
	Fixtures []byte
}

// Case is one operation and exactly what the router must answer.
type Case struct {
	Name          string          `json:"name"`
	Query         string          `json:"query"`
	OperationName string          `json:"operationName,omitempty"`
	Variables     map[string]any  `json:"variables,omitempty"`
	Response      json.RawMessage `json:"response"`
	// Status is the expected HTTP status; 0 means 200.
	Status int `json:"status,omitempty"`
	// Fetches is the number of requests each named subgraph must receive.
	Fetches map[string]int `json:"fetches,omitempty"`
	// Sent lists strings that must appear in some query sent to a subgraph.
	Sent map[string][]string `json:"sent,omitempty"`
	// Down names subgraphs that are unreachable for this case.
	Down []string `json:"down,omitempty"`
	// LoadError, when set, is part of the error the router must refuse the
	// supergraph with; the query is then not run.
	LoadError string `json:"loadError,omitempty"`
	// Deviation explains where Response knowingly differs from what Apollo's
	// router answers; the case asserts our actual behaviour.
	Deviation string `json:"deviation,omitempty"`
	// Auth, when set, sends an Authorization header; without it the
	// request is anonymous.
	Auth *CaseAuth `json:"auth,omitempty"`
}

// CaseAuth is the bearer of a case's request: a valid access token for
// User holding Scopes, or, with Header, that Authorization header verbatim
// (e.g. a bad token).
type CaseAuth struct {
	User   string   `json:"user,omitempty"`
	Scopes []string `json:"scopes,omitempty"`
	Header string   `json:"header,omitempty"`
}

// LoadScenarios reads every testdata/*.txtar under dir.
func LoadScenarios(dir string) ([]*Scenario, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.txtar"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []*Scenario
	for _, p := range paths {
		s, err := loadScenario(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func loadScenario(path string) (*Scenario, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSuffix(filepath.Base(path), ".txtar")
	s := &Scenario{Name: name}
	comment, sections := splitSections(raw)
	s.Description = strings.TrimSpace(comment)
	fixtures := map[string][]byte{}
	for _, sec := range sections {
		switch {
		case strings.HasSuffix(sec.name, ".graphql"):
			s.Subgraphs = append(s.Subgraphs, SubgraphDef{Name: strings.TrimSuffix(sec.name, ".graphql"), SDL: sec.body})
		case sec.name == "cases.json":
			if err := json.Unmarshal([]byte(sec.body), &s.Cases); err != nil {
				return nil, fmt.Errorf("cases.json: %w", err)
			}
		case strings.HasSuffix(sec.name, ".json"):
			fixtures[strings.TrimSuffix(sec.name, ".json")] = []byte(sec.body)
		case sec.name == "ours":
			s.OurGap = strings.TrimSpace(sec.body)
		default:
			return nil, fmt.Errorf("unknown section %q", sec.name)
		}
	}
	for i := range s.Subgraphs {
		s.Subgraphs[i].Fixtures = fixtures[s.Subgraphs[i].Name]
	}
	sg, err := os.ReadFile(strings.TrimSuffix(path, ".txtar") + ".supergraph.graphql")
	if err != nil {
		return nil, fmt.Errorf("no Hive supergraph (run the compose script): %w", err)
	}
	s.Supergraph = string(sg)
	return s, nil
}

type section struct{ name, body string }

// splitSections parses the txtar layout: a comment, then "-- name --" lines
// each starting a section.
func splitSections(raw []byte) (string, []section) {
	var comment string
	var out []section
	cur := -1
	var b strings.Builder
	flush := func() {
		if cur < 0 {
			comment = b.String()
		} else {
			out[cur].body = b.String()
		}
		b.Reset()
	}
	for _, line := range bytes.SplitAfter(raw, []byte("\n")) {
		l := strings.TrimSpace(string(line))
		if strings.HasPrefix(l, "-- ") && strings.HasSuffix(l, " --") && len(l) > 6 {
			flush()
			out = append(out, section{name: strings.TrimSpace(l[3 : len(l)-3])})
			cur = len(out) - 1
			continue
		}
		b.Write(line)
	}
	flush()
	return comment, out
}
