package history

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/klauspost/compress/gzip"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// How revisions are stored. A reader refuses a format newer than its own,
// and a Secret whose checksum does not match what it holds.
const (
	secretPrefix = stack.Instance + ".v"
	// SecretType marks the stack's revision Secrets, as Helm's
	// helm.sh/release.v1 marks its releases.
	SecretType = corev1.SecretType("kubectl-stack.io/revision.v1")
	// OwnerLabel selects the revisions; RevisionLabel and StatusLabel let
	// `kubectl get secrets` show them without decoding.
	OwnerLabel    = "kubectl-stack.io/revision-of"
	RevisionLabel = "kubectl-stack.io/revision"
	StatusLabel   = "kubectl-stack.io/status"
	// SourceAnnotation is the revision's overlay, so `kubectl stack list`
	// reads every stack's from the Secrets' metadata, never their data.
	SourceAnnotation = "kubectl-stack.io/source"
	checksumAnnot    = "kubectl-stack.io/sha256"
	format           = 1
	keyFormat        = "format"
	keyRevision      = "revision.json"
	keyObjects       = "objects.json.gz"
)

// EncodeObjects compresses the rendered objects.
func EncodeObjects(objs []*unstructured.Unstructured) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(objs); err != nil {
		return nil, fmt.Errorf("encoding the revision's objects: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeObjects is EncodeObjects' inverse.
func (r *Revision) DecodeObjects() ([]*unstructured.Unstructured, error) {
	zr, err := gzip.NewReader(bytes.NewReader(r.Objects))
	if err != nil {
		return nil, fmt.Errorf("revision %d's objects: %w", r.Number, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("revision %d's objects: %w", r.Number, err)
	}
	var raw []map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("revision %d's objects: %w", r.Number, err)
	}
	out := make([]*unstructured.Unstructured, len(raw))
	for i, m := range raw {
		out[i] = &unstructured.Unstructured{Object: m}
	}
	return out, nil
}

// toSecret is the revision as its Secret in namespace ns.
func (r *Revision) toSecret(ns string) (*corev1.Secret, error) {
	meta, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encoding revision %d: %w", r.Number, err)
	}
	data := map[string][]byte{keyFormat: []byte(strconv.Itoa(format)), keyRevision: meta, keyObjects: r.Objects}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      SecretName(r.Number),
			Namespace: ns,
			Labels: map[string]string{
				OwnerLabel:    stack.Instance,
				RevisionLabel: strconv.Itoa(r.Number),
				StatusLabel:   statusLabel(r.Status),
			},
			Annotations: map[string]string{checksumAnnot: checksum(data), SourceAnnotation: r.Source},
		},
		Type: SecretType,
		Data: data,
	}, nil
}

// statusLabel is a status as a label value (no spaces).
func statusLabel(s Status) string {
	if s == RolledBack {
		return "rolled-back"
	}
	return string(s)
}

// fromSecret reads a revision back, refusing what this plugin did not write
// or cannot read.
func fromSecret(s *corev1.Secret) (*Revision, error) {
	where := fmt.Sprintf("revision Secret %s/%s", s.Namespace, s.Name)
	if s.Type != SecretType {
		return nil, fmt.Errorf("%s has type %q, not %q: it was not written by kubectl-stack", where, s.Type, SecretType)
	}
	f, err := strconv.Atoi(string(s.Data[keyFormat]))
	if err != nil {
		return nil, fmt.Errorf("%s: format %q is not a number", where, s.Data[keyFormat])
	}
	if f > format {
		return nil, fmt.Errorf("%s was written by a newer kubectl-stack (format %d; this one reads %d): upgrade the plugin (kubectl krew upgrade stack)", where, f, format)
	}
	if got := checksum(s.Data); got != s.Annotations[checksumAnnot] {
		return nil, &TamperedError{Secret: s.Name, Namespace: s.Namespace}
	}
	r := &Revision{}
	if err := json.Unmarshal(s.Data[keyRevision], r); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if strconv.Itoa(r.Number) != s.Labels[RevisionLabel] || SecretName(r.Number) != s.Name {
		return nil, fmt.Errorf("%s holds revision %d: its name or label was changed outside the plugin", where, r.Number)
	}
	r.Objects = s.Data[keyObjects]
	return r, nil
}

// TamperedError is a revision Secret whose content does not match the
// checksum the plugin wrote with it.
type TamperedError struct{ Namespace, Secret string }

func (e *TamperedError) Error() string {
	return fmt.Sprintf("revision Secret %s/%s was changed outside the plugin (its sha256 does not match): it cannot be trusted; "+
		"roll back to another revision, or delete it (kubectl -n %s delete secret %s)", e.Namespace, e.Secret, e.Namespace, e.Secret)
}

// checksum is the sha256 over the Secret's data, keys in a fixed order.
func checksum(data map[string][]byte) string {
	h := sha256.New()
	for _, k := range []string{keyFormat, keyRevision, keyObjects} {
		fmt.Fprintf(h, "%s\x00%d\x00", k, len(data[k]))
		h.Write(data[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}
