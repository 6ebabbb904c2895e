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
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "   ", "id {", "id }", "organization { }", "...Frag", "... { id }", "a: id", "id(x: 1)", "id @skip(if: true)"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
}
