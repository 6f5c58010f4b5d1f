package binlog

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
	"github.com/kubectl-stack/kubectl-stack/pkg/location"
)

// StatusKey is the key of the archiver's status in its ConfigMap.
const StatusKey = "status.json"

// Publisher writes the archiver's status into a ConfigMap of the stack,
// where `kubectl stack status` reads it without the store's credentials,
// and works out the recoverable windows from the location.
type Publisher struct {
	Progress   *Progress
	Location   location.Location
	ConfigMaps corev1client.ConfigMapInterface
	Name       string
	Log        io.Writer
}

// Every is how often the status is written; the windows are read from
// the location every sixth time.
const Every = 10 * time.Second

// Run publishes until ctx ends.
func (p *Publisher) Run(ctx context.Context) {
	t := time.NewTicker(Every)
	defer t.Stop()
	for i := 0; ; i++ {
		if i%6 == 0 {
			if err := p.survey(ctx); err != nil {
				fmt.Fprintf(p.Log, "%s reading the backups and the archive: %v\n", time.Now().UTC().Format(time.RFC3339), err)
			}
		}
		if err := p.publish(ctx); err != nil && ctx.Err() == nil {
			fmt.Fprintf(p.Log, "%s writing the status to ConfigMap %s: %v\n", time.Now().UTC().Format(time.RFC3339), p.Name, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// survey reads the windows, and clears a gap once a backup began after it.
func (p *Publisher) survey(ctx context.Context) error {
	cat, err := backup.List(ctx, p.Location)
	if err != nil {
		return err
	}
	arc, err := Read(ctx, p.Location)
	if err != nil {
		return err
	}
	windows := Windows(arc, cat)
	p.Progress.update(func(s *Status) { s.Windows = windows })
	if at := p.Progress.Status().GapAt; at != nil {
		for i := range cat.Backups {
			if e := &cat.Backups[i]; e.Complete() && e.Manifest.Binlog != nil && !coordinates(e).Before(*at) {
				p.Progress.gapCovered()
				break
			}
		}
	}
	return nil
}

func (p *Publisher) publish(ctx context.Context) error {
	status, err := json.Marshal(p.Progress.Status())
	if err != nil {
		return err
	}
	patch, err := json.Marshal(map[string]any{"data": map[string]string{StatusKey: string(status)}})
	if err != nil {
		return err
	}
	_, err = p.ConfigMaps.Patch(ctx, p.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "kubectl-stack-archive-binlogs"})
	return err
}

// ReadStatus reads an archiver's status from its ConfigMap's data; nil
// when it has written none yet.
func ReadStatus(data map[string]string) (*Status, error) {
	raw, ok := data[StatusKey]
	if !ok {
		return nil, nil
	}
	var s Status
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return nil, fmt.Errorf("the archiver's status is not valid JSON: %w", err)
	}
	return &s, nil
}
