package payload_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/payload"
)

type code string

func (c code) IsValid() bool { return c == "SLUG_TAKEN" }

type fault struct {
	Field   []string
	Code    code
	Message string
}

func build(p *errs.Problem, c code) fault { return fault{p.Field, c, p.Message} }

func TestErrors(t *testing.T) {
	if got, err := payload.Errors(nil, build); err != nil || got == nil || len(got) != 0 {
		t.Errorf("nil: %v, %v; want an empty list", got, err)
	}
	taken := errs.Problemf([]string{"input", "slug"}, "SLUG_TAKEN", "slug %q is taken", "mug")
	got, err := payload.Errors(fmt.Errorf("create product: %w", taken), build)
	if err != nil || len(got) != 1 || got[0].Code != "SLUG_TAKEN" || fmt.Sprint(got[0].Field) != "[input slug]" || got[0].Message != `slug "mug" is taken` {
		t.Errorf("wrapped problem: %+v, %v", got, err)
	}
	down := errors.New("database down")
	if got, err := payload.Errors(down, build); got != nil || err != down {
		t.Errorf("other error: %v, %v; want it top-level", got, err)
	}
	unknown := errs.Problemf(nil, "NO_SUCH_CODE", "?")
	if got, err := payload.Errors(unknown, build); got != nil || err == nil {
		t.Errorf("unknown code: %v, %v; want a top-level error", got, err)
	}
}

func TestProblemUnwrapsItsCause(t *testing.T) {
	cause := &shortage{n: 2}
	err := fmt.Errorf("reserve: %w", &errs.Problem{Code: "INSUFFICIENT_STOCK", Message: "not enough", Err: cause})
	var s *shortage
	if !errors.As(err, &s) || s.n != 2 {
		t.Errorf("the cause is not found through the problem: %v", err)
	}
	if errs.Field("") != nil || fmt.Sprint(errs.Field("cartId")) != "[cartId]" {
		t.Errorf("errs.Field: %v %v", errs.Field(""), errs.Field("cartId"))
	}
}

type shortage struct{ n int }

func (s *shortage) Error() string { return "short" }
