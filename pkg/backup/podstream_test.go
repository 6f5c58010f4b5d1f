package backup

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// Whatever the pod sends (gzip or plain) and whatever is asked, the output
// decompresses to the dump, which is counted and whose trailer is seen.
func TestPodStreamRoutes(t *testing.T) {
	for _, fromPod := range []Compression{Gzip, None} {
		for _, want := range Compressions {
			var sent bytes.Buffer
			enc, _ := fromPod.compressor(&sent)
			_, _ = enc.Write([]byte(sampleDump))
			_ = enc.Close()
			var out bytes.Buffer
			s := newPodStream(want, &out)
			// In small writes, the first shorter than gzip's magic.
			for data := sent.Bytes(); len(data) > 0; {
				n := min(len(data), 1+len(data)%7)
				if _, err := s.Write(data[:n]); err != nil {
					t.Fatal(err)
				}
				data = data[n:]
			}
			if err := s.Close(); err != nil {
				t.Fatalf("%s from the pod, %s wanted: %v", fromPod, want, err)
			}
			got, err := want.decompressor(bytes.NewReader(out.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			plain, _ := io.ReadAll(got)
			if string(plain) != sampleDump || s.counted.n != int64(len(sampleDump)) || !completed(s.trailer.buf) {
				t.Errorf("%s from the pod, %s wanted: %d bytes, counted %d, trailer %q", fromPod, want, len(plain), s.counted.n, s.trailer.buf)
			}
			if got := sniff(out.Bytes()); got != want {
				t.Errorf("%s from the pod, %s wanted: the output is %s", fromPod, want, got)
			}
		}
	}
}

func TestPodStreamRefusesBrokenGzip(t *testing.T) {
	s := newPodStream(Gzip, io.Discard)
	_, _ = s.Write(append(append([]byte{}, gzipMagic...), []byte(strings.Repeat("x", 100))...))
	if err := s.Close(); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("a broken gzip stream: %v", err)
	}
}
