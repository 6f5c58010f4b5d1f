package main

import (
	"testing"

	"k8s.io/kubectl/pkg/util/i18n"

	"github.com/kubectl-stack/kubectl-stack/pkg/startup"
)

// This test links the plugin's packages: kubectl's translating ones must
// initialise after pkg/startup replaced the loader, or every start parses a
// catalogue again.
func TestNoCatalogueLoadedAtStart(t *testing.T) {
	if !startup.Untranslated {
		t.Fatal("a package translated before pkg/startup's init: kubectl's catalogue is loaded at every start")
	}
	if got := i18n.T("apply"); got != "apply" {
		t.Fatalf(`i18n.T("apply") = %q, want the English string unchanged`, got)
	}
}
