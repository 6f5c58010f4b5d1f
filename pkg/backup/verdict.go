package backup

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/location"
)

// Verdict is the outcome of a backup's restore test, kept next to its
// manifest.
type Verdict struct {
	ID     string    `json:"id"`
	Tested time.Time `json:"tested"`
	Passed bool      `json:"passed"`
	// Message says what differed, or that all tables matched.
	Message string `json:"message"`
}

func readVerdict(ctx context.Context, loc location.Location, id string) (*Verdict, error) {
	data, err := readSmall(ctx, loc, id+"/"+verdictName)
	if err != nil {
		return nil, err
	}
	var v Verdict
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("backup %s: its verdict %s is not valid JSON: %w", id, verdictName, err)
	}
	return &v, nil
}
