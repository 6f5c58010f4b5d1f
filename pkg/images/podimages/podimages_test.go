package podimages

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func deployment(images ...string) *unstructured.Unstructured {
	var cs []any
	for i, img := range images {
		cs = append(cs, map[string]any{"name": string(rune('a' + i)), "image": img})
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"kind": "Deployment", "metadata": map[string]any{"name": "web"},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": cs, "initContainers": []any{map[string]any{"name": "init", "image": "busybox:1"}}}}},
	}}
}

func TestRewriteMovesEveryImageAndAddsPullSecrets(t *testing.T) {
	cron := &unstructured.Unstructured{Object: map[string]any{
		"kind": "CronJob", "metadata": map[string]any{"name": "backup"},
		"spec": map[string]any{"jobTemplate": map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{"name": "b", "image": "kubectl-stack/kubectl-stack:v1"}}}}}}},
	}}
	cm := &unstructured.Unstructured{Object: map[string]any{"kind": "ConfigMap", "data": map[string]any{"image": "nginx"}}}
	objs := []*unstructured.Unstructured{deployment("nginx:1"), cron, cm}
	if err := Rewrite(objs, "reg.example/s", []string{"regcred"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range Uses(objs) {
		got = append(got, u.Image+" "+strings.Join(u.UsedBy, ","))
	}
	want := "reg.example/s/busybox:1 Deployment/web:init|reg.example/s/kubectl-stack/kubectl-stack:v1 CronJob/backup:b|reg.example/s/nginx:1 Deployment/web:a"
	if strings.Join(got, "|") != want {
		t.Errorf("uses after rewrite:\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
	secrets, _, _ := unstructured.NestedSlice(cron.Object, "spec", "jobTemplate", "spec", "template", "spec", "imagePullSecrets")
	if len(secrets) != 1 || secrets[0].(map[string]any)["name"] != "regcred" {
		t.Errorf("CronJob pull secrets %v", secrets)
	}
	if cm.Object["data"].(map[string]any)["image"] != "nginx" {
		t.Error("a ConfigMap's data was rewritten")
	}
}

func TestRewriteRefusesAnImageThatCannotMove(t *testing.T) {
	err := Rewrite([]*unstructured.Unstructured{deployment("nginx:1", "Bad Image")}, "reg.example", nil)
	if err == nil || !strings.Contains(err.Error(), `"Bad Image"`) {
		t.Errorf("got %v, want the image named", err)
	}
}
