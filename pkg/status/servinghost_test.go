package status

import (
	"errors"
	"testing"
)

func TestNoRouteTellsTheNetworkFromThePod(t *testing.T) {
	for msg, want := range map[string]bool{
		"error trying to reach service: dial tcp 10.245.0.1:8080: connect: invalid argument":   true,
		"error trying to reach service: dial tcp 10.244.0.9:8080: connect: no route to host":   true,
		"error trying to reach service: dial tcp 10.244.0.9:8080: i/o timeout":                 true,
		"error trying to reach service: dial tcp 10.244.0.9:8080: connect: connection refused": false,
		"context deadline exceeded":       false,
		"not JSON: invalid character '<'": false,
	} {
		if got := noRoute(errors.New(msg)); got != want {
			t.Errorf("noRoute(%q) = %v, want %v", msg, got, want)
		}
	}
}
