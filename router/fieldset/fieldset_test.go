package fieldset

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	got, err := Parse("id organization { id address { country } } sku")
	if err != nil {
		t.Fatal(err)
	}
	want := []Field{
		{Name: "id"},
		{Name: "organization", Children: []Field{{Name: "id"}, {Name: "address", Children: []Field{{Name: "country"}}}}},
		{Name: "sku"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse = %+v, want %+v", got, want)
	}
	if names := TopLevel("id, organization { id } ... on Org { name }"); !reflect.DeepEqual(names, []string{"id", "organization"}) {
		t.Fatalf("TopLevel = %v", names)
	}
	got, err = Parse("... on Book { name } ... on Film { name }")
	if err != nil {
		t.Fatal(err)
	}
	want = []Field{{On: "Book", Children: []Field{{Name: "name"}}}, {On: "Film", Children: []Field{{Name: "name"}}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse = %+v, want %+v", got, want)
	}
	// @requires may select a field with arguments; a @key may not, which
	// the composer checks with HasArguments.
	got, err = Parse(`comments(limit: 3) { authorId }`)
	if err != nil {
		t.Fatal(err)
	}
	if !HasArguments(got) || HasArguments(got[0].Children) {
		t.Fatalf("HasArguments of %+v", got)
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "   ", "id {", "id }", "organization { }", "...Frag", "... { id }", "a: id", "id @skip(if: true)"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
}
