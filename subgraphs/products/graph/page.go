package graph

import (
	"context"

	"github.com/myshop/supergraph/subgraphs/platform/batch"
	"github.com/myshop/supergraph/subgraphs/platform/cursor"
	"github.com/myshop/supergraph/subgraphs/products/graph/model"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// reviewConnection loads one page of a parent's reviews through loader, so
// sibling parents share one SQL statement.
func reviewConnection(ctx context.Context, loader *batch.Loader[product.PageRequest, product.ReviewPage],
	parentID string, first *int, after *string) (*model.ReviewConnection, error) {
	req, err := reviewPageRequest(parentID, first, after)
	if err != nil {
		return nil, err
	}
	afterID := req.After
	page, err := loader.Load(ctx, req)()
	if err != nil {
		return nil, err
	}
	conn := &model.ReviewConnection{
		Edges:    make([]*model.ReviewEdge, len(page.Reviews)),
		PageInfo: &model.PageInfo{HasNextPage: page.HasNext, HasPreviousPage: afterID != ""},
	}
	for i, r := range page.Reviews {
		conn.Edges[i] = &model.ReviewEdge{Cursor: cursor.Encode(reviewsList, r.ID), Node: toReview(r)}
	}
	setPageCursors(conn.PageInfo, len(conn.Edges), func(i int) string { return conn.Edges[i].Cursor })
	return conn, nil
}

func setPageCursors(info *model.PageInfo, n int, cursorAt func(int) string) {
	if n == 0 {
		return
	}
	start, end := cursorAt(0), cursorAt(n-1)
	info.StartCursor, info.EndCursor = &start, &end
}
