package stack_test

import (
	"regexp"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/images/podimages"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

func TestDevKeepsDataOnAHostPathVolumeBoundToTheClaim(t *testing.T) {
	r := render(t, "overlays/dev")
	var db appsv1.StatefulSet
	r.get(t, "StatefulSet", stack.Database.Name, &db)
	pvs := r.all("PersistentVolume")
	if len(pvs) != 1 {
		t.Fatalf("dev has %d PersistentVolumes, want 1", len(pvs))
	}
	var pv corev1.PersistentVolume
	r.get(t, "PersistentVolume", pvs[0].GetName(), &pv)
	claim := db.Spec.VolumeClaimTemplates[0]
	switch {
	case pv.Name != stack.DevVolume(stack.Namespace):
		t.Errorf("dev PV %s, want %s", pv.Name, stack.DevVolume(stack.Namespace))
	case pv.Spec.HostPath == nil:
		t.Error("dev PV is not hostPath")
	case pv.Spec.HostPath.Path != stack.DevDataDir:
		t.Errorf("dev PV's folder %s, want %s", pv.Spec.HostPath.Path, stack.DevDataDir)
	case claim.Spec.StorageClassName == nil || *claim.Spec.StorageClassName != pv.Spec.StorageClassName:
		t.Errorf("claim storageClassName %v does not match the PV's %q", claim.Spec.StorageClassName, pv.Spec.StorageClassName)
	case pv.Spec.ClaimRef == nil || pv.Spec.ClaimRef.Name != stack.MySQLClaim || pv.Spec.ClaimRef.Namespace != stack.Namespace:
		t.Errorf("PV claimRef %+v, want %s/%s", pv.Spec.ClaimRef, stack.Namespace, stack.MySQLClaim)
	case pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimRetain:
		t.Errorf("PV reclaim policy %s would lose data", pv.Spec.PersistentVolumeReclaimPolicy)
	}
	pref := db.Spec.Template.Spec.Affinity.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution
	if len(pref) != 1 || pref[0].Preference.MatchExpressions[0].Key != stack.DatabaseNodeLabel {
		t.Errorf("dev database affinity %+v, want preferred on %s", pref, stack.DatabaseNodeLabel)
	}
	secrets := r.all("Secret")
	if len(secrets) != 1 || secrets[0].GetAnnotations()["kubectl-stack.io/dev-only"] != "true" {
		t.Errorf("dev needs exactly one Secret, marked dev-only: %v", secrets)
	}
}

var pinnedTag = regexp.MustCompile(`:v?\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$`)

func TestProdUsesAStorageClassRequiredPlacementAndNoSecretInGit(t *testing.T) {
	r := render(t, "overlays/prod")
	if n := len(r.all("Secret")); n != 0 {
		t.Errorf("prod holds %d Secrets; its credentials must come from the cluster", n)
	}
	if n := len(r.all("PersistentVolume")); n != 0 {
		t.Errorf("prod holds %d PersistentVolumes; it must use a StorageClass", n)
	}
	var db appsv1.StatefulSet
	r.get(t, "StatefulSet", stack.Database.Name, &db)
	if db.Spec.VolumeClaimTemplates[0].Spec.StorageClassName != nil {
		t.Errorf("prod claim names storage class %q; it uses the cluster's default", *db.Spec.VolumeClaimTemplates[0].Spec.StorageClassName)
	}
	req := db.Spec.Template.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	if req == nil || req.NodeSelectorTerms[0].MatchExpressions[0].Key != stack.DatabaseNodeLabel {
		t.Errorf("prod database affinity %+v, want required on %s", req, stack.DatabaseNodeLabel)
	}
	var web appsv1.Deployment
	r.get(t, "Deployment", stack.Web.Name, &web)
	spread := web.Spec.Template.Spec.TopologySpreadConstraints
	if len(spread) != 1 || spread[0].WhenUnsatisfiable != corev1.DoNotSchedule {
		t.Errorf("prod web spread %+v, want a required spread across nodes", spread)
	}
	for _, kind := range []string{"PodDisruptionBudget", "ResourceQuota", "LimitRange"} {
		if len(r.all(kind)) == 0 {
			t.Errorf("prod has no %s", kind)
		}
	}
	for _, kind := range []string{"Deployment", "StatefulSet", "DaemonSet"} {
		for _, u := range r.all(kind) {
			var spec corev1.PodTemplateSpec
			tpl, _, _ := unstructuredNested(u.Object, "spec", "template")
			if err := fromMap(tpl, &spec); err != nil {
				t.Fatal(err)
			}
			for _, c := range append(spec.Spec.InitContainers, spec.Spec.Containers...) {
				if !pinnedTag.MatchString(c.Image) || c.ImagePullPolicy != corev1.PullAlways {
					t.Errorf("prod %s/%s container %s: image %q pull %s, want an x.y.z tag and a digest, pulled Always",
						kind, u.GetName(), c.Name, c.Image, c.ImagePullPolicy)
				}
			}
		}
	}
}

// Every image prod runs, in every kind of pod template (CronJob and Job
// too), is pinned by digest: a node never runs a tag that moved. The
// project's own digests come from `make release`.
func TestProdPinsEveryImageByDigest(t *testing.T) {
	r := render(t, "overlays/prod")
	uses := podimages.Uses(r.objs)
	if len(uses) < 5 {
		t.Fatalf("prod runs %d images, want at least 5: %v", len(uses), uses)
	}
	for _, u := range uses {
		if !pinnedTag.MatchString(u.Image) {
			t.Errorf("prod runs %q (%v) without an x.y.z tag and a digest: pin it in overlays/prod (images: digest:), or run `make release` for the project's own", u.Image, u.UsedBy)
		}
	}
}
