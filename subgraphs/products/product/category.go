package product

import "strings"

// Category is a node of the category tree. Path is the ids from the root
// down to and including this one, as "/root/child/": a subtree is every
// category whose path starts with this one's.
type Category struct {
	ID       string
	ParentID string // "" for a top-level category
	Name     string
	Slug     string
	Position int
	Path     string
}

// AncestorIDs are the ids above c, the root first.
func (c Category) AncestorIDs() []string {
	ids := strings.Split(strings.Trim(c.Path, "/"), "/")
	return ids[:len(ids)-1]
}

// ChildPath is the path of a child of c with id.
func (c Category) ChildPath(id string) string { return c.Path + id + "/" }

// Within reports whether c is other or below it.
func (c Category) Within(other Category) bool { return strings.HasPrefix(c.Path, other.Path) }
