package backup

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

func TestCompareNamesEveryDifference(t *testing.T) {
	want := []Database{{Name: "shop", Tables: []Table{{"orders", 10, "111"}, {"items", 5, "222"}, {"gone", 1, "333"}}}}
	got := []Database{{Name: "shop", Tables: []Table{{"orders", 9, "111"}, {"items", 5, "999"}, {"extra", 0, "0"}}}}
	diffs := strings.Join(compare(want, got), "; ")
	for _, w := range []string{"shop.orders has 9 rows, the manifest says 10", "shop.items has checksum 999", "shop.gone is missing", "shop.extra is not in the manifest"} {
		if !strings.Contains(diffs, w) {
			t.Errorf("%q missing from %q", w, diffs)
		}
	}
	if d := compare(want, want); len(d) != 0 {
		t.Errorf("equal databases differ: %v", d)
	}
}

func TestParseSnapshot(t *testing.T) {
	tables := [][]string{{"app", "a"}, {"app", "b"}}
	rows := [][]string{{"rows", "3"}, {"rows", "0"}, {"app.a", "42"}, {"app.b", "0"}, {"server", "10.11.18-MariaDB-0+deb12u1", "Debian 12"}}
	dbs, server, err := parseSnapshot([]string{"app", "empty"}, tables, rows)
	if err != nil {
		t.Fatal(err)
	}
	if server.Flavour != "MariaDB" || len(dbs) != 2 || dbs[0].Tables[0] != (Table{"a", 3, "42"}) || len(dbs[1].Tables) != 0 {
		t.Errorf("got %+v, %+v", dbs, server)
	}
	if _, _, err := parseSnapshot([]string{"app"}, tables, rows[:3]); err == nil {
		t.Error("a missing checksum was not noticed")
	}
}

// The throwaway server's data folder is an emptyDir, which counts against
// its container's ephemeral-storage limit: the limit grows with the dump.
func TestMakeRoomGrowsTheDatabaseContainersLimit(t *testing.T) {
	limits := func(q string) corev1.ResourceRequirements {
		return corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceEphemeralStorage: resource.MustParse(q)}}
	}
	spec := corev1.PodSpec{Containers: []corev1.Container{
		{Name: stack.MySQLContainer, Resources: limits("1Gi")},
		{Name: "sidecar", Resources: limits("16Mi")},
	}}
	before := spec.Containers[0].Resources.Limits
	makeRoom(&spec, 1<<30)
	if got := spec.Containers[0].Resources.Limits[corev1.ResourceEphemeralStorage]; got.Cmp(resource.MustParse("4Gi")) != 0 {
		t.Errorf("database container's limit = %s, want 4Gi", got.String())
	}
	if got := spec.Containers[1].Resources.Limits[corev1.ResourceEphemeralStorage]; got.Cmp(resource.MustParse("16Mi")) != 0 {
		t.Errorf("sidecar's limit = %s, want 16Mi unchanged", got.String())
	}
	if got := before[corev1.ResourceEphemeralStorage]; got.Cmp(resource.MustParse("1Gi")) != 0 {
		t.Errorf("the StatefulSet's own limits were changed to %s", got.String())
	}
	unlimited := corev1.PodSpec{Containers: []corev1.Container{{Name: stack.MySQLContainer}}}
	makeRoom(&unlimited, 1<<30)
	if unlimited.Containers[0].Resources.Limits != nil {
		t.Errorf("a container without a limit got one: %v", unlimited.Containers[0].Resources.Limits)
	}
}
