package supergraph

import (
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/plan"

	"github.com/myshop/supergraph/router/directive"
)

// costSpec is the demand-control spec (@cost, @listSize): the router
// estimates operations from it; clients never see its directives.
const costSpec = "cost"

func costMachinery(name string) bool { return name == costSpec || name == "listSize" }

// costConfig reads the @cost and @listSize that apply to what graph gr
// serves into the planner's cost configuration for that data source.
// Composition has checked them (router/compose/cost.go).
func (g *graph) costConfig(gr joinGraph) *plan.DataSourceCostConfig {
	cfg := plan.NewDataSourceCostConfig()
	for _, def := range g.doc.Definitions {
		if machinery(def.Name) || len(joinTypes(def, gr)) == 0 {
			continue
		}
		if w, ok := weight(def.Directives); ok {
			cfg.Types[def.Name] = w
		}
		for _, f := range def.Fields {
			if in, _ := fieldIn(f, gr); !in {
				continue
			}
			coord := plan.FieldCoordinate{TypeName: def.Name, FieldName: f.Name}
			fc := &plan.FieldCost{}
			if w, ok := weight(f.Directives); ok {
				fc.Weight, fc.HasWeight = w, true
			}
			for _, a := range f.Arguments {
				if w, ok := weight(a.Directives); ok {
					if fc.ArgumentWeights == nil {
						fc.ArgumentWeights = map[string]int{}
					}
					fc.ArgumentWeights[a.Name] = w
				}
			}
			if fc.HasWeight || fc.ArgumentWeights != nil {
				cfg.Weights[coord] = fc
			}
			if d := f.Directives.ForName("listSize"); d != nil {
				cfg.ListSizes[coord] = listSizeOf(d)
			}
		}
	}
	return cfg
}

func weight(dirs ast.DirectiveList) (int, bool) {
	d := dirs.ForName(costSpec)
	if d == nil {
		return 0, false
	}
	w, err := strconv.Atoi(argValue(d, "weight"))
	return w, err == nil
}

func listSizeOf(d *ast.Directive) *plan.FieldListSize {
	ls := &plan.FieldListSize{RequireOneSlicingArgument: true}
	if n, err := strconv.Atoi(argValue(d, "assumedSize")); err == nil {
		ls.AssumedSize = n
	}
	ls.SlicingArguments = directive.Strings(d, "slicingArguments")
	ls.SizedFields = directive.Strings(d, "sizedFields")
	if a := d.Arguments.ForName("requireOneSlicingArgument"); a != nil && a.Value != nil && a.Value.Raw == "false" {
		ls.RequireOneSlicingArgument = false
	}
	return ls
}
