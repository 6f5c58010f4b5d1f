package stack_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	psaapi "k8s.io/pod-security-admission/api"

	"github.com/kubectl-stack/kubectl-stack/pkg/build"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// rendered is one overlay's objects, indexed for the checks below.
type rendered struct {
	name string
	objs []*unstructured.Unstructured
}

func render(t *testing.T, overlay string) rendered {
	t.Helper()
	objs, err := build.Load(filepath.Join("..", "..", overlay))
	if err != nil {
		t.Fatal(err)
	}
	return rendered{name: overlay, objs: objs}
}

// ha tells the overlays of the HA tier (components/galera).
func (r rendered) ha() bool { return strings.HasSuffix(r.name, "-ha") }

func everyOverlay(t *testing.T) []rendered {
	return []rendered{render(t, "overlays/dev"), render(t, "overlays/prod"), render(t, "overlays/dev-ha"), render(t, "overlays/prod-ha")}
}

// get decodes the one object of kind and name into out; it fails the test
// when there is none.
func (r rendered) get(t *testing.T, kind, name string, out any) {
	t.Helper()
	for _, u := range r.objs {
		if u.GetKind() == kind && u.GetName() == name {
			if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, out, true); err != nil {
				t.Fatalf("%s: %s %s: %v", r.name, kind, name, err)
			}
			return
		}
	}
	t.Fatalf("%s: no %s %s", r.name, kind, name)
}

// podTemplates returns the pod template of each tier, by component name.
func (r rendered) podTemplates(t *testing.T) map[string]*corev1.PodTemplateSpec {
	var web appsv1.Deployment
	var db appsv1.StatefulSet
	var watcher appsv1.DaemonSet
	r.get(t, stack.Web.Kind, stack.Web.Name, &web)
	r.get(t, stack.Database.Kind, stack.Database.Name, &db)
	r.get(t, stack.Watcher.Kind, stack.Watcher.Name, &watcher)
	out := map[string]*corev1.PodTemplateSpec{
		stack.Web.Name:      &web.Spec.Template,
		stack.Database.Name: &db.Spec.Template,
		stack.Watcher.Name:  &watcher.Spec.Template,
	}
	for _, u := range r.all("CronJob") {
		var cj batchv1.CronJob
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &cj); err != nil {
			t.Fatal(err)
		}
		out[cj.Name] = &cj.Spec.JobTemplate.Spec.Template
	}
	for _, u := range r.all("Job") {
		var job batchv1.Job
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &job); err != nil {
			t.Fatal(err)
		}
		out[job.Name] = &job.Spec.Template
	}
	for _, u := range r.all("Deployment") {
		var d appsv1.Deployment
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &d); err != nil {
			t.Fatal(err)
		}
		if _, ok := out[d.Name]; !ok {
			out[d.Name] = &d.Spec.Template
		}
	}
	return out
}

func (r rendered) all(kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, u := range r.objs {
		if u.GetKind() == kind {
			out = append(out, u)
		}
	}
	return out
}

func (r rendered) policies(t *testing.T) []networkingv1.NetworkPolicy {
	var out []networkingv1.NetworkPolicy
	for _, u := range r.all("NetworkPolicy") {
		var np networkingv1.NetworkPolicy
		r.get(t, "NetworkPolicy", u.GetName(), &np)
		out = append(out, np)
	}
	return out
}

func TestEveryObjectCarriesTheRecommendedLabelsAndNamespace(t *testing.T) {
	for _, r := range everyOverlay(t) {
		for _, u := range r.objs {
			l := u.GetLabels()
			for _, key := range []string{stack.LabelPartOf, stack.LabelManagedBy, stack.LabelInstance} {
				if l[key] == "" {
					t.Errorf("%s: %s %s has no %s label", r.name, u.GetKind(), u.GetName(), key)
				}
			}
			// Nothing else cluster-wide: the stacks of one cluster share no object.
			clusterScoped := slices.Contains([]string{"Namespace", "PersistentVolume"}, u.GetKind())
			if !clusterScoped && u.GetNamespace() != stack.Namespace {
				t.Errorf("%s: %s %s is in namespace %q, want %q", r.name, u.GetKind(), u.GetName(), u.GetNamespace(), stack.Namespace)
			}
		}
		var ns corev1.Namespace
		r.get(t, "Namespace", stack.Namespace, &ns)
		if ns.Labels[psaapi.EnforceLevelLabel] != string(psaapi.LevelRestricted) {
			t.Errorf("%s: namespace does not enforce Pod Security restricted: %v", r.name, ns.Labels)
		}
	}
}

func TestWebTierMatchesPkgStack(t *testing.T) {
	for _, r := range everyOverlay(t) {
		var web appsv1.Deployment
		r.get(t, stack.Web.Kind, stack.Web.Name, &web)
		if *web.Spec.Replicas != stack.WebReplicas {
			t.Errorf("%s: web replicas = %d, want %d", r.name, *web.Spec.Replicas, stack.WebReplicas)
		}
		checkSelector(t, r.name, web.Spec.Selector, web.Spec.Template.Labels, stack.Web)
		nginx := web.Spec.Template.Spec.Containers[0]
		if nginx.Ports[0].ContainerPort != stack.WebContainerPort || nginx.Ports[0].Name != "http" {
			t.Errorf("%s: nginx port = %+v, want http/%d", r.name, nginx.Ports[0], stack.WebContainerPort)
		}
		if len(web.Spec.Template.Spec.InitContainers) != 1 {
			t.Errorf("%s: web needs the init container that writes serving-host", r.name)
		}

		var svc corev1.Service
		r.get(t, "Service", stack.Web.Name, &svc)
		p := svc.Spec.Ports[0]
		if svc.Spec.Type != corev1.ServiceTypeNodePort || p.NodePort != stack.WebNodePort || p.Port != stack.WebServicePort ||
			p.TargetPort != intstr.FromString("http") {
			t.Errorf("%s: web Service = %s %+v, want NodePort %d -> http", r.name, svc.Spec.Type, p, stack.WebNodePort)
		}
		if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(web.Spec.Template.Labels)) {
			t.Errorf("%s: web Service does not select the web pods", r.name)
		}
	}
}

func TestDatabaseMatchesPkgStack(t *testing.T) {
	for _, r := range everyOverlay(t) {
		var db appsv1.StatefulSet
		r.get(t, stack.Database.Kind, stack.Database.Name, &db)
		members, image := int32(1), "mysql:8.4"
		if r.ha() {
			members, image = stack.GaleraMembers, stack.GaleraImage
		}
		if *db.Spec.Replicas != members || db.Spec.ServiceName != stack.MySQLHeadless {
			t.Errorf("%s: mysql replicas=%d serviceName=%s, want %d and %s", r.name, *db.Spec.Replicas, db.Spec.ServiceName, members, stack.MySQLHeadless)
		}
		checkSelector(t, r.name, db.Spec.Selector, db.Spec.Template.Labels, stack.Database)
		sc := db.Spec.Template.Spec.SecurityContext
		if sc == nil || *sc.RunAsUser != stack.DatabaseUID || *sc.RunAsGroup != stack.DatabaseUID || *sc.FSGroup != stack.DatabaseUID {
			t.Errorf("%s: the database's pod security context %+v, want uid, gid and fsGroup %d", r.name, sc, stack.DatabaseUID)
		}
		if got := db.Spec.Template.Spec.Containers[0].Name; got != stack.MySQLContainer {
			t.Errorf("%s: database container %q, want %q (backup execs into it)", r.name, got, stack.MySQLContainer)
		}
		if got := db.Spec.VolumeClaimTemplates[0].Name; got != stack.MySQLClaimTemplate {
			t.Errorf("%s: claim template %q, want %q", r.name, got, stack.MySQLClaimTemplate)
		}
		if !strings.HasPrefix(db.Spec.Template.Spec.Containers[0].Image, image) {
			t.Errorf("%s: mysql image %q, want %s", r.name, db.Spec.Template.Spec.Containers[0].Image, image)
		}
		for _, env := range db.Spec.Template.Spec.Containers[0].Env {
			if env.ValueFrom != nil && env.ValueFrom.FieldRef != nil { // the downward API: data subfolders, Galera's names
				continue
			}
			if strings.HasPrefix(env.Name, "GALERA_") {
				continue // TestGaleraMatchesPkgStack
			}
			if ref := env.ValueFrom.SecretKeyRef; ref == nil || !strings.HasPrefix(ref.Name, stack.MySQLSecret) {
				t.Errorf("%s: %s does not come from Secret %s", r.name, env.Name, stack.MySQLSecret)
			}
		}
		for _, name := range []string{stack.MySQLService, stack.MySQLHeadless} {
			var svc corev1.Service
			r.get(t, "Service", name, &svc)
			if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != stack.MySQLPort {
				t.Errorf("%s: Service %s ports %+v, want %d only", r.name, name, svc.Spec.Ports, stack.MySQLPort)
			}
			if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(db.Spec.Template.Labels)) {
				t.Errorf("%s: Service %s does not select the mysql pod", r.name, name)
			}
		}
	}
}

// The watcher reads the pods of its own namespace only, through a Role: a
// ClusterRole would be an object every stack in a cluster shares.
func TestWatcherMatchesPkgStackAndReadsPodsOnly(t *testing.T) {
	for _, r := range everyOverlay(t) {
		var ds appsv1.DaemonSet
		r.get(t, stack.Watcher.Kind, stack.Watcher.Name, &ds)
		checkSelector(t, r.name, ds.Spec.Selector, ds.Spec.Template.Labels, stack.Watcher)
		tol := ds.Spec.Template.Spec.Tolerations
		if len(tol) != 1 || tol[0].Operator != corev1.TolerationOpExists || tol[0].Key != "" {
			t.Errorf("%s: watcher tolerations %+v do not cover every node", r.name, tol)
		}
		var role rbacv1.Role
		r.get(t, "Role", stack.Watcher.Name, &role)
		want := []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch"}}}
		if !equalRules(role.Rules, want) {
			t.Errorf("%s: watcher rules %+v, want get/list/watch on pods only", r.name, role.Rules)
		}
		var binding rbacv1.RoleBinding
		r.get(t, "RoleBinding", stack.Watcher.Name, &binding)
		sa := rbacv1.Subject{Kind: "ServiceAccount", Name: ds.Spec.Template.Spec.ServiceAccountName, Namespace: stack.Namespace}
		if binding.RoleRef.Kind != "Role" || binding.RoleRef.Name != role.Name || len(binding.Subjects) != 1 || binding.Subjects[0] != sa {
			t.Errorf("%s: watcher binding %+v, want Role %s to %+v", r.name, binding, role.Name, sa)
		}
		if !slices.ContainsFunc(ds.Spec.Template.Spec.Containers[0].Env, func(e corev1.EnvVar) bool {
			return e.Name == "POD_NAMESPACE" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace"
		}) {
			t.Errorf("%s: the watcher is not told its namespace (POD_NAMESPACE from metadata.namespace)", r.name)
		}
	}
}

func equalRules(a, b []rbacv1.PolicyRule) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !slices.Equal(a[i].APIGroups, b[i].APIGroups) || !slices.Equal(a[i].Resources, b[i].Resources) ||
			!slices.Equal(a[i].Verbs, b[i].Verbs) || len(a[i].ResourceNames) > 0 {
			return false
		}
	}
	return true
}

func checkSelector(t *testing.T, overlay string, sel *metav1.LabelSelector, podLabels map[string]string, c stack.Component) {
	t.Helper()
	if !labels.Equals(sel.MatchLabels, c.Selector()) {
		t.Errorf("%s: %s selector %v, want %v", overlay, c.Name, sel.MatchLabels, c.Selector())
	}
	if podLabels[stack.LabelComponent] != c.Component {
		t.Errorf("%s: %s pods have component %q, want %q", overlay, c.Name, podLabels[stack.LabelComponent], c.Component)
	}
}

func labelsSet(m map[string]string) labels.Set { return labels.Set(m) }

func unstructuredNested(obj map[string]any, fields ...string) (map[string]any, bool, error) {
	return unstructured.NestedMap(obj, fields...)
}

func fromMap(m map[string]any, out any) error {
	return runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(m, out, true)
}

// Prod's binary log archiver carries the names, port and user pkg/stack
// gives it: `status` reads its ConfigMap, the plugin's flags default to its
// port, the Job creates the user it connects as.
func TestBinlogArchiverMatchesPkgStack(t *testing.T) {
	r := render(t, "overlays/prod")
	var d appsv1.Deployment
	r.get(t, stack.BinlogArchiver.Kind, stack.BinlogArchiver.Name, &d)
	checkSelector(t, r.name, d.Spec.Selector, d.Spec.Template.Labels, stack.BinlogArchiver)
	c := d.Spec.Template.Spec.Containers[0]
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != stack.BinlogArchiverMetricsPort {
		t.Errorf("archiver ports %+v, want metrics on %d", c.Ports, stack.BinlogArchiverMetricsPort)
	}
	user := ""
	for _, e := range c.Env {
		if e.Name == "MYSQL_BINLOG_USER" {
			user = e.Value
		}
	}
	if user != stack.BinlogArchiverUser {
		t.Errorf("archiver connects as %q, want %q", user, stack.BinlogArchiverUser)
	}
	var job batchv1.Job
	r.get(t, "Job", "binlog-archiver-user", &job)
	if script := strings.Join(job.Spec.Template.Spec.Containers[0].Command, " "); !strings.Contains(script, "'"+stack.BinlogArchiverUser+"'@'%'") {
		t.Errorf("the user Job does not create %s:\n%s", stack.BinlogArchiverUser, script)
	}
	var cm corev1.ConfigMap
	r.get(t, "ConfigMap", stack.BinlogArchiverStatus, &cm)
	var role rbacv1.Role
	r.get(t, "Role", stack.BinlogArchiver.Name, &role)
	if len(role.Rules) != 1 || len(role.Rules[0].ResourceNames) != 1 || role.Rules[0].ResourceNames[0] != stack.BinlogArchiverStatus {
		t.Errorf("the archiver's Role %+v, want its status ConfigMap %s alone", role.Rules, stack.BinlogArchiverStatus)
	}
}

// The scheduled backup may read and exec into every member it may choose
// (pkg/backup: the first ready one), and no other pod; on the HA tier the
// archiver follows the members by name, mysql-0 first, never the Service,
// whose members' binary logs differ in names and positions.
func TestBackupReachesEveryMember(t *testing.T) {
	for _, overlay := range []string{"overlays/prod", "overlays/prod-ha"} {
		r := render(t, overlay)
		var set appsv1.StatefulSet
		r.get(t, stack.Database.Kind, stack.Database.Name, &set)
		var members []string
		for i := range int(*set.Spec.Replicas) {
			members = append(members, fmt.Sprintf("%s-%d", stack.Database.Name, i))
		}
		var role rbacv1.Role
		r.get(t, "Role", "mysql-backup", &role)
		for _, rule := range role.Rules {
			if !slices.Equal(rule.ResourceNames, members) {
				t.Errorf("%s: the backup's Role names %v for %v, want the members %v", overlay, rule.ResourceNames, rule.Resources, members)
			}
		}
		var d appsv1.Deployment
		r.get(t, stack.BinlogArchiver.Kind, stack.BinlogArchiver.Name, &d)
		address := fmt.Sprintf("--mysql-address=%s:%d", stack.MySQLService, stack.MySQLPort)
		if r.ha() {
			addresses := make([]string, len(members))
			for i, m := range members {
				addresses[i] = fmt.Sprintf("%s.%s:%d", m, stack.MySQLHeadless, stack.MySQLPort)
			}
			address = "--mysql-address=" + strings.Join(addresses, ",")
		}
		if !slices.Contains(d.Spec.Template.Spec.Containers[0].Args, address) {
			t.Errorf("%s: the archiver's args %v, want %s", overlay, d.Spec.Template.Spec.Containers[0].Args, address)
		}
	}
}
