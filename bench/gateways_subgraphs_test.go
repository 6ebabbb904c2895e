package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// The four subgraphs of The Guild's public gateways benchmark (accounts,
// inventory, products, reviews), with fixed data. Each parses the query it
// gets and executes it over its data (execute below): a small GraphQL
// executor, so every answer is computed from what the router asked.

const gwLink = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires", "@provides"])
`

var gwSDL = map[string]string{
	"accounts": gwLink + `type Query { me: User users: [User] user(id: ID!): User }
type User @key(fields: "id") { id: ID! name: String username: String birthday: Int }`,
	"inventory": gwLink + `type Product @key(fields: "upc") { upc: String! weight: Int @external price: Int @external
  inStock: Boolean shippingEstimate: Int @requires(fields: "price weight") }`,
	"products": gwLink + `type Query { topProducts(first: Int = 5): [Product] }
type Product @key(fields: "upc") { upc: String! name: String price: Int weight: Int }`,
	"reviews": gwLink + `type Review @key(fields: "id") { id: ID! body: String author: User @provides(fields: "username") product: Product }
type User @key(fields: "id") { id: ID! username: String @external reviews: [Review] }
type Product @key(fields: "upc") { upc: String! reviews: [Review] }`,
}

// gwQuery is the benchmark's heavy nested query.
const gwQuery = `fragment User on User { id username name }
fragment Review on Review { id body }
fragment Product on Product { inStock name price shippingEstimate upc weight }
query TestQuery {
  users { ...User reviews { ...Review product { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } } } }
  topProducts { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } }
}`

// The fixed world: 10 users, 10 products, 3 reviews per user.
const gwUsers, gwProducts, gwReviewsPerUser = 10, 10, 3

// obj is one object of a subgraph: its fields by name; a func field
// computes its value from the arguments.
type obj map[string]any

type gwSubgraph struct {
	name     string
	query    obj                          // the Query type's fields
	entities func(rep map[string]any) obj // _entities: a representation to its object
	calls    atomic.Int64
	// answers holds the answer to each request body already answered: the
	// data are fixed, so a body has one answer, and serving it from memory
	// keeps the subgraphs cheap, as the gateways benchmark's are. Executing
	// each request over maps (execute) was 86% of the process's
	// allocations, and the figures measured this file, not the router.
	answers sync.Map // string(body) → []byte
}

// gwReview is the reviews subgraph's review i; its author and product are
// that subgraph's User and Product, whose reviews it resolves too.
func gwReview(i int) obj {
	user, product := strconv.Itoa(i/gwReviewsPerUser+1), strconv.Itoa(i%gwProducts+1)
	return obj{"__typename": "Review", "id": strconv.Itoa(i + 1), "body": fmt.Sprintf("Review %d of product %s by user %s", i+1, product, user),
		"author": gwReviewer(user), "product": gwReviewed(product)}
}

func gwReviewer(id string) obj {
	return obj{"__typename": "User", "id": id, "username": "@user" + id,
		"reviews": func(map[string]any) any {
			return gwReviewsOf(func(r obj) bool { return r["author"].(obj)["id"] == id })
		}}
}

func gwReviewed(upc string) obj {
	return obj{"__typename": "Product", "upc": upc,
		"reviews": func(map[string]any) any {
			return gwReviewsOf(func(r obj) bool { return r["product"].(obj)["upc"] == upc })
		}}
}

// gwReviews is every review, built once: the subgraphs should cost the
// benchmark as little as they can.
var gwReviews []obj

func init() {
	gwReviews = make([]obj, gwUsers*gwReviewsPerUser)
	for i := range gwReviews {
		gwReviews[i] = gwReview(i)
	}
}

func gwReviewsOf(match func(obj) bool) []any {
	var out []any
	for _, r := range gwReviews {
		if match(r) {
			out = append(out, r)
		}
	}
	return out
}

func gwUser(id string) obj {
	n, _ := strconv.Atoi(id)
	return obj{"__typename": "User", "id": id, "name": fmt.Sprintf("User %d", n), "username": fmt.Sprintf("@user%d", n), "birthday": 1_000_000 + n}
}

func gwProduct(upc string) obj {
	n, _ := strconv.Atoi(upc)
	return obj{"__typename": "Product", "upc": upc, "name": fmt.Sprintf("Product %d", n), "price": 100 * n, "weight": 10 * n}
}

func newGatewaysSubgraphs() map[string]*gwSubgraph {
	users := make([]any, gwUsers)
	for i := range users {
		users[i] = gwUser(strconv.Itoa(i + 1))
	}
	return map[string]*gwSubgraph{
		"accounts": {name: "accounts",
			query: obj{"me": gwUser("1"), "users": users, "user": func(args map[string]any) any { return gwUser(fmt.Sprint(args["id"])) }},
			entities: func(rep map[string]any) obj {
				return gwUser(fmt.Sprint(rep["id"]))
			}},
		"products": {name: "products",
			query: obj{"topProducts": func(args map[string]any) any {
				n := 5
				if f, ok := args["first"].(int64); ok {
					n = int(f)
				}
				out := []any{}
				for i := range min(n, gwProducts) {
					out = append(out, gwProduct(strconv.Itoa(i+1)))
				}
				return out
			}},
			entities: func(rep map[string]any) obj { return gwProduct(fmt.Sprint(rep["upc"])) }},
		"inventory": {name: "inventory", query: obj{},
			entities: func(rep map[string]any) obj {
				price, _ := rep["price"].(float64)
				weight, _ := rep["weight"].(float64)
				estimate := int(weight / 2)
				if price > 1000 {
					estimate = 0
				}
				upc := fmt.Sprint(rep["upc"])
				n, _ := strconv.Atoi(upc)
				return obj{"__typename": "Product", "upc": upc, "inStock": n%3 != 0, "shippingEstimate": estimate}
			}},
		"reviews": {name: "reviews", query: obj{},
			entities: func(rep map[string]any) obj {
				switch rep["__typename"] {
				case "User":
					return gwReviewer(fmt.Sprint(rep["id"]))
				case "Product":
					return gwReviewed(fmt.Sprint(rep["upc"]))
				case "Review":
					n, _ := strconv.Atoi(fmt.Sprint(rep["id"]))
					return gwReview(n - 1)
				}
				return nil
			}},
	}
}

// serve starts the subgraph's HTTP server; every request is counted.
func (s *gwSubgraph) serve(tb testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if answer, ok := s.answers.Load(string(body)); ok {
			_, _ = w.Write(answer.([]byte))
			return
		}
		var req struct {
			Query     string         `json:"query"`
			Variables map[string]any `json:"variables"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		data, err := s.execute(req.Query, req.Variables)
		if err != nil {
			_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{"message": err.Error()}}})
			return
		}
		answer, err := json.Marshal(map[string]any{"data": data})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		s.answers.Store(string(body), answer)
		_, _ = w.Write(answer)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// execute runs query's operation over the subgraph's data.
func (s *gwSubgraph) execute(query string, vars map[string]any) (map[string]any, error) {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return nil, fmt.Errorf("%s: parse: %w", s.name, err)
	}
	if len(doc.Operations) != 1 {
		return nil, fmt.Errorf("%s: want one operation, got %d", s.name, len(doc.Operations))
	}
	root := obj{"__typename": "Query"}
	for k, v := range s.query {
		root[k] = v
	}
	root["_entities"] = func(args map[string]any) any {
		reps, _ := args["representations"].([]any)
		out := make([]any, len(reps))
		for i, r := range reps {
			if rep, ok := r.(map[string]any); ok {
				if o := s.entities(rep); o != nil {
					out[i] = o
				}
			}
		}
		return out
	}
	return s.selectionSet(doc, doc.Operations[0].SelectionSet, root, vars)
}

func (s *gwSubgraph) selectionSet(doc *ast.QueryDocument, set ast.SelectionSet, o obj, vars map[string]any) (map[string]any, error) {
	out := map[string]any{}
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			key := sel.Alias
			if key == "" {
				key = sel.Name
			}
			if sel.Name == "__typename" {
				out[key] = o["__typename"]
				continue
			}
			v, ok := o[sel.Name]
			if !ok {
				return nil, fmt.Errorf("%s: no field %s on %v", s.name, sel.Name, o["__typename"])
			}
			if f, ok := v.(func(map[string]any) any); ok {
				args := map[string]any{}
				for _, a := range sel.Arguments {
					val, err := a.Value.Value(vars)
					if err != nil {
						return nil, err
					}
					args[a.Name] = val
				}
				v = f(args)
			}
			rv, err := s.value(doc, sel.SelectionSet, v, vars)
			if err != nil {
				return nil, err
			}
			out[key] = rv
		case *ast.InlineFragment:
			if sel.TypeCondition != "" && sel.TypeCondition != o["__typename"] {
				continue
			}
			sub, err := s.selectionSet(doc, sel.SelectionSet, o, vars)
			if err != nil {
				return nil, err
			}
			for k, v := range sub {
				out[k] = v
			}
		case *ast.FragmentSpread:
			def := doc.Fragments.ForName(sel.Name)
			if def == nil || def.TypeCondition != o["__typename"] {
				continue
			}
			sub, err := s.selectionSet(doc, def.SelectionSet, o, vars)
			if err != nil {
				return nil, err
			}
			for k, v := range sub {
				out[k] = v
			}
		}
	}
	return out, nil
}

func (s *gwSubgraph) value(doc *ast.QueryDocument, set ast.SelectionSet, v any, vars map[string]any) (any, error) {
	switch v := v.(type) {
	case obj:
		if v == nil {
			return nil, nil
		}
		return s.selectionSet(doc, set, v, vars)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			ev, err := s.value(doc, set, e, vars)
			if err != nil {
				return nil, err
			}
			out[i] = ev
		}
		return out, nil
	}
	return v, nil
}
