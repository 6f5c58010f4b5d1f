package localcluster

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Restart kills one program of the cluster in dir (kubelet,
// kube-apiserver, ...) as a crash would (SIGKILL; the containers a kubelet
// started keep running) and starts it again with the same command line,
// appending to its log. The cluster keeps its other processes.
func Restart(dir, program string) error {
	pids := livePIDs(dir)
	for i, pid := range pids {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		argv := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
		if filepath.Base(argv[0]) != program {
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			return err
		}
		// A loaded machine may take a while to tear a large process down;
		// its successor must not start while it still holds its ports.
		for deadline := time.Now().Add(time.Minute); ours(pid); {
			if time.Now().After(deadline) {
				return fmt.Errorf("%s (PID %d) still runs a minute after SIGKILL", program, pid)
			}
			time.Sleep(100 * time.Millisecond)
		}
		newPID, err := startAgain(dir, program, argv)
		if err != nil {
			return err
		}
		pids[i] = newPID
		return writePIDs(dir, pids)
	}
	return fmt.Errorf("no %s of the cluster in %s runs", program, dir)
}

// restartAttempts is how often startAgain starts a program that exits at
// once, as the supervisor of a real node (systemd's Restart=always) would:
// on a loaded machine a successor may start before the kernel has
// released everything its predecessor held.
const restartAttempts = 3

// startAgain starts argv, appending to the program's log, and returns its
// PID once it has run for five seconds. When it exits before, it is
// started again, and the last error quotes the end of what it logged.
func startAgain(dir, program string, argv []string) (int, error) {
	logPath := filepath.Join(dir, program+".log")
	for attempt := 1; ; attempt++ {
		pid, err := startOnce(logPath, argv)
		var exited *earlyExit
		if err == nil || !errors.As(err, &exited) {
			return pid, err
		}
		if attempt == restartAttempts {
			return 0, fmt.Errorf("%s exited as it started again (attempt %d of %d): %w", program, attempt, restartAttempts, err)
		}
		time.Sleep(time.Second)
	}
}

// earlyExit is a program that exited within its first five seconds.
type earlyExit struct {
	err  error
	path string
	tail string
}

func (e *earlyExit) Error() string {
	return fmt.Sprintf("%v; the end of its log %s:\n%s", e.err, e.path, e.tail)
}

func (e *earlyExit) Unwrap() error { return e.err }

func startOnce(logPath string, argv []string) (int, error) {
	log, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	defer log.Close()
	start, err := log.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		return 0, &earlyExit{err: err, path: logPath, tail: logTail(logPath, start, 2048)}
	case <-time.After(5 * time.Second):
		return cmd.Process.Pid, nil
	}
}

// logTail is at most limit bytes of the end of what was written to path
// after offset from.
func logTail(path string, from, limit int64) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err.Error()
	}
	from = max(from, end-limit)
	buf := make([]byte, end-from)
	if _, err := f.ReadAt(buf, from); err != nil && err != io.EOF {
		return err.Error()
	}
	return string(buf)
}
