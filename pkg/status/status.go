// Package status reads the stack's state: one row per pod of each tier with
// its serving-host read live through the API server's pod proxy, the
// database's storage, the Services with their NodePort URLs, the
// NetworkPolicies, and warnings. It knows nothing of cobra.
package status

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-stack/kubectl-stack/pkg/galera"
	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Row is one pod of the stack.
type Row struct {
	Component   string    `json:"component"`
	Pod         string    `json:"pod"`
	Node        string    `json:"node"`
	PodIP       string    `json:"podIP"`
	ServingHost string    `json:"servingHost,omitempty"`
	Ready       bool      `json:"ready"`
	Status      string    `json:"status"`
	Restarts    int32     `json:"restarts"`
	Created     time.Time `json:"created"`
	Flags       []string  `json:"flags,omitempty"`
	// Labels are the pod's labels, for --show-labels.
	Labels map[string]string `json:"labels,omitempty"`
}

// Report is the whole picture.
type Report struct {
	Namespace string    `json:"namespace"`
	Rows      []Row     `json:"pods"`
	Claims    []Claim   `json:"storage"`
	Services  []Service `json:"services"`
	Policies  []string  `json:"networkPolicies"`
	// Members counts the objects of the stack's ApplySet; -1 when the stack
	// was applied without its ApplySet parent (plain kubectl).
	Members int `json:"applySetMembers"`
	// Galera is each member's view of the cluster, on the HA tier.
	Galera []galera.Member `json:"galeraMembers,omitempty"`
	// Binlog is the binary log archiver, when the stack runs one.
	Binlog *BinlogArchive `json:"binlogArchive,omitempty"`
	// Revision is the newest recorded apply, when the user may read them.
	Revision *Revision `json:"revision,omitempty"`
	Warnings []string  `json:"warnings,omitempty"`
	Healthy  bool      `json:"healthy"`
}

// Claim is the database's storage.
type Claim struct {
	Name     string `json:"claim"`
	Volume   string `json:"volume"`
	Capacity string `json:"capacity"`
	Bound    bool   `json:"bound"`
}

// Service is one Service of the stack with the URLs that reach it.
type Service struct {
	Name string   `json:"name"`
	Type string   `json:"type"`
	IP   string   `json:"clusterIP"`
	URLs []string `json:"urls,omitempty"`
}

// Collect reads the report; an archive lagging more than lagWarning is
// warned about.
func Collect(ctx context.Context, clients *kube.Clients, ns string, lagWarning time.Duration) (*Report, error) {
	c := clients.Typed
	r := &Report{Namespace: ns, Healthy: true}
	found := map[string]bool{}
	for _, comp := range stack.Components {
		n, err := r.addComponent(ctx, c, ns, comp)
		if err != nil {
			return nil, err
		}
		found[comp.Name] = n
	}
	if !found[stack.Web.Name] && !found[stack.Database.Name] && !found[stack.Watcher.Name] {
		return nil, &stack.NotDeployedError{Namespace: ns, Missing: "web, mysql or watcher workload"}
	}
	r.readServingHosts(ctx, clients.Unthrottled, ns)
	if found[stack.Database.Name] {
		if err := r.addGalera(ctx, clients, ns); err != nil {
			return nil, err
		}
	}
	for _, step := range []func(context.Context, kubernetes.Interface, string) error{r.addStorage, r.addServices, r.addPolicies, r.addBudgets} {
		if err := step(ctx, c, ns); err != nil {
			return nil, err
		}
	}
	if found[stack.Watcher.Name] {
		if err := r.addWatcherAccess(ctx, c, ns); err != nil {
			return nil, err
		}
	}
	if err := r.addBinlogArchive(ctx, c, ns, lagWarning); err != nil {
		return nil, err
	}
	if err := r.addRevision(ctx, c, ns); err != nil {
		return nil, err
	}
	members, err := countMembers(ctx, clients.Metadata, clients.Mapper, ns)
	if err != nil {
		return nil, err
	}
	r.Members = members
	return r, nil
}

func (r *Report) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
	r.Healthy = false
}

// addComponent adds a tier's pods and checks it has as many ready as it wants.
func (r *Report) addComponent(ctx context.Context, c kubernetes.Interface, ns string, comp stack.Component) (bool, error) {
	want, exists, err := desired(ctx, c, ns, comp)
	if err != nil || !exists {
		return false, err
	}
	pods, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(comp.Selector()).String()})
	if err != nil {
		return true, kube.Explain(err)
	}
	ready := 0
	for _, p := range pods.Items {
		row := podRow(comp, &p)
		if row.Ready {
			ready++
		}
		if p.Status.Phase == corev1.PodPending {
			r.warn("%s is pending: %s", p.Name, pendingReason(&p))
		}
		if row.Status == "CrashLoopBackOff" {
			r.warn("%s is crash-looping (%d restarts)", p.Name, row.Restarts)
		}
		r.Rows = append(r.Rows, row)
	}
	switch {
	case want == 0 && comp.Kind != "DaemonSet":
		r.warn("%s is scaled to 0 replicas", comp.Name)
	case int32(ready) < want:
		r.warn("%s: %d of %d pods ready", comp.Name, ready, want)
	}
	return true, nil
}

// desired is how many ready pods a tier's workload wants.
func desired(ctx context.Context, c kubernetes.Interface, ns string, comp stack.Component) (int32, bool, error) {
	var want int32
	var err error
	switch comp.Kind {
	case "Deployment":
		dep, e := c.AppsV1().Deployments(ns).Get(ctx, comp.Name, metav1.GetOptions{})
		err = e
		if e == nil {
			want = *dep.Spec.Replicas
		}
	case "StatefulSet":
		sts, e := c.AppsV1().StatefulSets(ns).Get(ctx, comp.Name, metav1.GetOptions{})
		err = e
		if e == nil {
			want = *sts.Spec.Replicas
		}
	case "DaemonSet":
		ds, e := c.AppsV1().DaemonSets(ns).Get(ctx, comp.Name, metav1.GetOptions{})
		err = e
		if e == nil {
			want = ds.Status.DesiredNumberScheduled
		}
	}
	if apierrors.IsNotFound(err) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, kube.Explain(err)
	}
	return want, true, nil
}

func podRow(comp stack.Component, p *corev1.Pod) Row {
	row := Row{Component: comp.Component, Pod: p.Name, Node: p.Spec.NodeName, PodIP: p.Status.PodIP,
		Status: string(p.Status.Phase), Created: p.CreationTimestamp.Time, Labels: p.Labels}
	for _, cond := range p.Status.Conditions {
		if cond.Type == corev1.PodReady {
			row.Ready = cond.Status == corev1.ConditionTrue
		}
	}
	for _, cs := range p.Status.ContainerStatuses {
		row.Restarts += cs.RestartCount
		if cs.State.Waiting != nil && cs.State.Waiting.Reason != "" {
			row.Status = cs.State.Waiting.Reason
		}
	}
	if p.DeletionTimestamp != nil {
		row.Status = "Terminating"
	}
	return row
}

func pendingReason(p *corev1.Pod) string {
	for _, c := range p.Status.Conditions {
		if c.Status == corev1.ConditionFalse && c.Message != "" {
			return c.Message
		}
	}
	return "not scheduled or started yet"
}

// addStorage adds the database's claims: mysql-0's, and each member's on
// the HA tier.
func (r *Report) addStorage(ctx context.Context, c kubernetes.Interface, ns string) error {
	list, err := c.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(stack.Database.Selector()).String()})
	if err != nil {
		return kube.Explain(err)
	}
	slices.SortFunc(list.Items, func(a, b corev1.PersistentVolumeClaim) int { return strings.Compare(a.Name, b.Name) })
	for _, pvc := range list.Items {
		if !strings.HasPrefix(pvc.Name, stack.MySQLClaimTemplate+"-"+stack.Database.Name+"-") {
			continue
		}
		claim := Claim{Name: pvc.Name, Volume: pvc.Spec.VolumeName, Bound: pvc.Status.Phase == corev1.ClaimBound}
		if q, ok := pvc.Status.Capacity[corev1.ResourceStorage]; ok {
			claim.Capacity = q.String()
		}
		if !claim.Bound {
			r.warn("claim %s is %s", pvc.Name, pvc.Status.Phase)
		}
		r.Claims = append(r.Claims, claim)
	}
	return nil
}

func (r *Report) addServices(ctx context.Context, c kubernetes.Interface, ns string) error {
	svcs, err := c.CoreV1().Services(ns).List(ctx, metav1.ListOptions{LabelSelector: stack.LabelInstance + "=" + stack.Instance})
	if err != nil {
		return kube.Explain(err)
	}
	addrs, err := nodeAddresses(ctx, c)
	if err != nil {
		return err
	}
	for _, s := range svcs.Items {
		svc := Service{Name: s.Name, Type: string(s.Spec.Type), IP: s.Spec.ClusterIP}
		for _, p := range s.Spec.Ports {
			for _, a := range addrs {
				if p.NodePort != 0 {
					svc.URLs = append(svc.URLs, "http://"+net.JoinHostPort(a, strconv.Itoa(int(p.NodePort)))+"/")
				}
			}
		}
		r.Services = append(r.Services, svc)
	}
	sort.Slice(r.Services, func(i, j int) bool { return r.Services[i].Name < r.Services[j].Name })
	return nil
}

// nodeAddresses are the nodes' InternalIPs; a namespaced user, who may not
// list nodes, still gets the rest of the report.
func nodeAddresses(ctx context.Context, c kubernetes.Interface) ([]string, error) {
	addrs, err := kube.NodeInternalIPs(ctx, c)
	if apierrors.IsForbidden(err) {
		return nil, nil
	}
	return addrs, kube.Explain(err)
}

func (r *Report) addPolicies(ctx context.Context, c kubernetes.Interface, ns string) error {
	list, err := c.NetworkingV1().NetworkPolicies(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return kube.Explain(err)
	}
	for _, p := range list.Items {
		r.Policies = append(r.Policies, p.Name)
	}
	sort.Strings(r.Policies)
	return nil
}
