package graph

import (
	"github.com/myshop/supergraph/subgraphs/users/graph/model"
	"github.com/myshop/supergraph/subgraphs/users/user"
)

func toUser(u user.User) *model.User {
	return &model.User{ID: u.ID, Name: u.Name, Email: u.Email}
}
