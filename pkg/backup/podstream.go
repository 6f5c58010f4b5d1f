package backup

import (
	"bytes"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
)

// podStream takes the dump script's output, plain or gzipped in the pod
// (dumpScript), and writes it to w compressed as c asks: the pod's gzip
// as it is when c is gzip, else decompressed and compressed again. Either
// way it sees the plain dump, to count it and keep its last bytes (the
// completion trailer).
type podStream struct {
	c       Compression
	w       io.Writer
	trailer *tail
	counted *counter
	// leading keeps the dump's first bytes: the binary log coordinates.
	leading *prefix

	head []byte    // the first bytes, until the format is known
	out  io.Writer // where the pod's bytes go, once known
	// sink compresses the plain dump into w (nil for the pod's own gzip).
	sink io.WriteCloser
	// pw feeds the decoder of a gzipped stream; done is its result.
	pw   *io.PipeWriter
	done chan error
}

func newPodStream(c Compression, w io.Writer) *podStream {
	return &podStream{c: c, w: w, trailer: &tail{max: 256}, counted: &counter{}, leading: &prefix{max: 64 << 10}}
}

func (s *podStream) Write(p []byte) (int, error) {
	if s.out == nil {
		s.head = append(s.head, p...)
		if len(s.head) < len(gzipMagic) {
			return len(p), nil
		}
		if err := s.start(bytes.HasPrefix(s.head, gzipMagic)); err != nil {
			return 0, err
		}
		head := s.head
		s.head = nil
		if _, err := s.out.Write(head); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return s.out.Write(p)
}

// start routes the stream once its first bytes tell whether it is gzip.
func (s *podStream) start(gzipped bool) error {
	var err error
	if !gzipped || s.c != Gzip {
		if s.sink, err = s.c.compressor(s.w); err != nil {
			return err
		}
	}
	if !gzipped {
		s.out = io.MultiWriter(s.sink, s.trailer, s.counted, s.leading)
		return nil
	}
	pr, pw := io.Pipe()
	s.pw, s.done = pw, make(chan error, 1)
	plain := io.MultiWriter(s.trailer, s.counted, s.leading)
	if s.sink != nil {
		plain = io.MultiWriter(s.sink, s.trailer, s.counted, s.leading)
	}
	go func() {
		gz, err := gzip.NewReader(pr)
		if err == nil {
			_, err = io.Copy(plain, gz)
		}
		pr.CloseWithError(err) // a decoder that failed ends the stream
		s.done <- err
	}()
	s.out = pw
	if s.sink == nil {
		s.out = io.MultiWriter(s.w, pw)
	}
	return nil
}

// Close ends a stream that ended whole: it waits for the decoder and
// flushes the compressor.
func (s *podStream) Close() error {
	if s.out == nil && len(s.head) > 0 {
		if err := s.start(false); err != nil {
			return err
		}
		if _, err := s.out.Write(s.head); err != nil {
			return err
		}
	}
	if s.pw != nil {
		s.pw.Close()
		if err := <-s.done; err != nil {
			return fmt.Errorf("the dump's gzip stream from the database is damaged: %w", err)
		}
	}
	if s.sink != nil {
		if err := s.sink.Close(); err != nil {
			return localError("write", err)
		}
	}
	return nil
}

// abort ends the decoder of a stream that broke.
func (s *podStream) abort(err error) {
	if s.pw != nil {
		s.pw.CloseWithError(err)
		<-s.done
	}
}
