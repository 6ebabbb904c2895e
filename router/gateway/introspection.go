package gateway

import (
	"github.com/wundergraph/graphql-go-tools/v2/pkg/ast"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/datasource/introspection_datasource"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/plan"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/resolve"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/introspection"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/operationreport"
)

// selectsIntrospection reports whether a normalized operation selects
// __schema or __type. Both exist only on the query root, so the root
// selection set (and inline fragments in it) is all there is to check;
// fragment spreads are already inlined. __typename is not introspection
// of the schema and stays allowed.
func selectsIntrospection(doc *ast.Document) bool {
	for _, n := range doc.RootNodes {
		if n.Kind != ast.NodeKindOperationDefinition {
			continue
		}
		op := doc.OperationDefinitions[n.Ref]
		if op.HasSelections && selectionSetIntrospects(doc, op.SelectionSet) {
			return true
		}
	}
	return false
}

func selectionSetIntrospects(doc *ast.Document, set int) bool {
	for _, sel := range doc.SelectionSets[set].SelectionRefs {
		s := doc.Selections[sel]
		switch s.Kind {
		case ast.SelectionKindField:
			if name := doc.FieldNameString(s.Ref); name == "__schema" || name == "__type" {
				return true
			}
		case ast.SelectionKindInlineFragment:
			if doc.InlineFragments[s.Ref].HasSelections && selectionSetIntrospects(doc, doc.InlineFragments[s.Ref].SelectionSet) {
				return true
			}
		}
	}
	return false
}

// introspectionDataSource answers __schema and __type from the client
// schema with the engine's own introspection data source, configured here
// rather than by its factory for two things the factory does not do:
// isOneOf, which graphql-js's getIntrospectionQuery({oneOf: true}) asks
// for (the engine knows no @oneOf input types, and neither does our
// schema, so it is null: "not a OneOf input"), and a cost configuration in
// which introspection weighs nothing, so no introspection query is ever
// refused for its cost.
func introspectionDataSource(schema *ast.Document) (plan.DataSource, error) {
	var data introspection.Data
	var report operationreport.Report
	introspection.NewGenerator().Generate(schema, &report, &data)
	if report.HasErrors() {
		return nil, report
	}
	query := "Query"
	if data.Schema.QueryType.Name != "" {
		query = data.Schema.QueryType.Name
	}
	free := plan.NewDataSourceCostConfig()
	for _, t := range []string{"__Schema", "__Type", "__Field", "__InputValue", "__EnumValue", "__Directive", "__TypeKind", "__DirectiveLocation"} {
		free.Types[t] = 0
	}
	meta := &plan.DataSourceMetadata{
		RootNodes: []plan.TypeField{{TypeName: query, FieldNames: []string{"__schema", "__type"}}},
		ChildNodes: []plan.TypeField{
			{TypeName: "__Schema", FieldNames: []string{"description", "queryType", "mutationType", "subscriptionType", "types", "directives", "__typename"}},
			{TypeName: "__Type", FieldNames: []string{"kind", "name", "description", "fields", "interfaces", "possibleTypes", "enumValues", "inputFields", "ofType", "specifiedByURL", "isOneOf", "__typename"}},
			{TypeName: "__Field", FieldNames: []string{"name", "description", "args", "type", "isDeprecated", "deprecationReason", "__typename"}},
			{TypeName: "__InputValue", FieldNames: []string{"name", "description", "type", "defaultValue", "isDeprecated", "deprecationReason", "__typename"}},
			{TypeName: "__Directive", FieldNames: []string{"name", "description", "locations", "args", "isRepeatable", "__typename"}},
			{TypeName: "__EnumValue", FieldNames: []string{"name", "description", "isDeprecated", "deprecationReason", "__typename"}},
		},
		CostConfig: free,
	}
	return plan.NewDataSourceConfiguration[introspection_datasource.Configuration](resolve.IntrospectionSchemaTypeDataSourceID,
		introspection_datasource.NewFactory[introspection_datasource.Configuration](&data), meta,
		introspection_datasource.Configuration{SourceType: "Introspection: __schema __type"})
}

// addIsOneOf declares __Type.isOneOf (the OneOf input objects RFC, in
// graphql-js 16.9 and later) in a schema whose base introspection types
// lack it.
func addIsOneOf(doc *ast.Document) {
	node, ok := doc.Index.FirstNodeByNameStr("__Type")
	if !ok || node.Kind != ast.NodeKindObjectTypeDefinition {
		return
	}
	if _, has := doc.NodeFieldDefinitionByName(node, []byte("isOneOf")); has {
		return
	}
	ref := doc.ImportFieldDefinition("isOneOf", "", doc.AddNamedType([]byte("Boolean")), nil, nil)
	def := &doc.ObjectTypeDefinitions[node.Ref]
	def.FieldsDefinition.Refs = append(def.FieldsDefinition.Refs, ref)
	def.HasFieldDefinitions = true
}
