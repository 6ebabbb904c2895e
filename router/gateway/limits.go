package gateway

import (
	"fmt"

	"github.com/wundergraph/graphql-go-tools/v2/pkg/ast"
)

// Limits bound what one operation may ask for. Every check runs before
// planning (the cost estimate right after it) and before any subgraph call; an operation that fails one is
// never cached. Zero or negative turns a limit off.
type Limits struct {
	ParserTokens  int // lexical tokens in the document
	ParserDepth   int // nesting of braces while tokenizing
	ParserFields  int // field names while tokenizing
	MaxDepth      int // field nesting of the operation, fragments inlined
	MaxHeight     int // distinct field selections once identical ones merged
	MaxAliases    int
	MaxRootFields int // each alias counts
	MaxDirectives int
	// MaxCost bounds the static cost estimate of the IBM cost
	// specification (cost.go): object fields weigh 1, leaves 0, unless
	// @cost says otherwise, times the list sizes above them (@listSize's
	// slicing arguments, its assumed size, else DefaultListSize).
	MaxCost         int
	DefaultListSize int
	// Measure only reports (to the Measured hook) what enforce mode would
	// reject, so limits can be chosen from real traffic.
	Measure  bool
	Measured func(code string)
}

// Codes of limit rejections, Apollo Router's names where it has one.
const (
	CodeMaxDepth      = "MAX_DEPTH_LIMIT"
	CodeMaxHeight     = "MAX_HEIGHT_LIMIT"
	CodeMaxAliases    = "MAX_ALIASES_LIMIT"
	CodeMaxRootFields = "MAX_ROOT_FIELDS_LIMIT"
	CodeMaxDirectives = "MAX_DIRECTIVES_LIMIT"
	CodeTooExpensive  = "COST_ESTIMATED_TOO_EXPENSIVE"
)

// exceeded returns the rejection for a limit, or nil in measure mode.
func (l *Limits) exceeded(code, msg string) *RequestError {
	if l.Measure {
		if l.Measured != nil {
			l.Measured(code)
		}
		return nil
	}
	return &RequestError{Code: code, Message: msg}
}

// countTokens counts GraphQL lexical tokens in q up to limit+1, without
// building anything: it runs before the parser allocates the AST.
func countTokens(q string, limit int) int {
	n := 0
	for i := 0; i < len(q) && n <= limit; {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == 0xEF: // ignored; 0xEF starts a BOM
			i++
			continue
		case c == '#':
			for i < len(q) && q[i] != '\n' {
				i++
			}
			continue
		case c == '"':
			i = skipString(q, i)
		case c == '.' && i+2 < len(q) && q[i+1] == '.' && q[i+2] == '.':
			i += 3
		case isNameStart(c) || c == '-' || (c >= '0' && c <= '9'):
			i++
			for i < len(q) && (isNameStart(q[i]) || (q[i] >= '0' && q[i] <= '9') || q[i] == '.' || q[i] == '+' || q[i] == '-') {
				i++
			}
		default:
			i++
		}
		n++
	}
	return n
}

func isNameStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }

// skipString returns the index after the string starting at i (a block
// string or a plain one); an unterminated string runs to the end.
func skipString(q string, i int) int {
	if i+2 < len(q) && q[i+1] == '"' && q[i+2] == '"' {
		for j := i + 3; j+2 < len(q); j++ {
			if q[j] == '\\' {
				j++
				continue
			}
			if q[j] == '"' && q[j+1] == '"' && q[j+2] == '"' {
				return j + 3
			}
		}
		return len(q)
	}
	for j := i + 1; j < len(q); j++ {
		switch q[j] {
		case '\\':
			j++
		case '"', '\n':
			return j + 1
		}
	}
	return len(q)
}

// checkParsed applies the limits that count what the client wrote, before
// normalization merges or drops anything: aliases and directives.
func (l *Limits) checkParsed(doc *ast.Document) error {
	if l.MaxDirectives > 0 && len(doc.Directives) > l.MaxDirectives {
		// One error, whatever the number: a response must not grow with the attack.
		if e := l.exceeded(CodeMaxDirectives, fmt.Sprintf("the operation has %d directives; at most %d are allowed", len(doc.Directives), l.MaxDirectives)); e != nil {
			return e
		}
	}
	if l.MaxAliases > 0 {
		aliases := 0
		for i := range doc.Fields {
			if doc.Fields[i].Alias.IsDefined {
				aliases++
			}
		}
		if aliases > l.MaxAliases {
			if e := l.exceeded(CodeMaxAliases, fmt.Sprintf("the operation has %d aliases; at most %d are allowed", aliases, l.MaxAliases)); e != nil {
				return e
			}
		}
	}
	return nil
}

// shapeStats are measured on the normalized operation: fragments inlined,
// identical fields merged.
type shapeStats struct {
	depth, height int
	rootFields    []string // "Query.product" per root selection, aliases each counted
}

func measureShape(doc *ast.Document, schema *ast.Document) shapeStats {
	var st shapeStats
	for _, n := range doc.RootNodes {
		if n.Kind != ast.NodeKindOperationDefinition {
			continue
		}
		op := doc.OperationDefinitions[n.Ref]
		if !op.HasSelections {
			continue
		}
		root := rootTypeName(schema, op.OperationType)
		var walk func(set, depth int, root bool, typeName string)
		walk = func(set, depth int, isRoot bool, typeName string) {
			for _, sel := range doc.SelectionSets[set].SelectionRefs {
				s := doc.Selections[sel]
				switch s.Kind {
				case ast.SelectionKindField:
					f := doc.Fields[s.Ref]
					st.height++
					st.depth = max(st.depth, depth)
					if isRoot {
						st.rootFields = append(st.rootFields, typeName+"."+doc.FieldNameString(s.Ref))
					}
					if f.HasSelections {
						walk(f.SelectionSet, depth+1, false, "")
					}
				case ast.SelectionKindInlineFragment:
					fr := doc.InlineFragments[s.Ref]
					if fr.HasSelections {
						walk(fr.SelectionSet, depth, isRoot, typeName)
					}
				}
			}
		}
		walk(op.SelectionSet, 1, true, root)
	}
	return st
}

func rootTypeName(schema *ast.Document, t ast.OperationType) string {
	switch t {
	case ast.OperationTypeMutation:
		if len(schema.Index.MutationTypeName) > 0 {
			return string(schema.Index.MutationTypeName)
		}
		return "Mutation"
	case ast.OperationTypeSubscription:
		if len(schema.Index.SubscriptionTypeName) > 0 {
			return string(schema.Index.SubscriptionTypeName)
		}
		return "Subscription"
	}
	if len(schema.Index.QueryTypeName) > 0 {
		return string(schema.Index.QueryTypeName)
	}
	return "Query"
}

func (l *Limits) checkShape(st shapeStats) error {
	if l.MaxDepth > 0 && st.depth > l.MaxDepth {
		if e := l.exceeded(CodeMaxDepth, fmt.Sprintf("the operation is %d levels deep; at most %d are allowed", st.depth, l.MaxDepth)); e != nil {
			return e
		}
	}
	if l.MaxHeight > 0 && st.height > l.MaxHeight {
		if e := l.exceeded(CodeMaxHeight, fmt.Sprintf("the operation selects %d fields; at most %d are allowed", st.height, l.MaxHeight)); e != nil {
			return e
		}
	}
	if l.MaxRootFields > 0 && len(st.rootFields) > l.MaxRootFields {
		if e := l.exceeded(CodeMaxRootFields, fmt.Sprintf("the operation has %d root fields; at most %d are allowed", len(st.rootFields), l.MaxRootFields)); e != nil {
			return e
		}
	}
	return nil
}
