package localcluster

import (
	"fmt"
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
		for deadline := time.Now().Add(10 * time.Second); ours(pid) && time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
		}
		log, err := os.OpenFile(filepath.Join(dir, program+".log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		defer log.Close()
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = log, log
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("starting %s again: %w", program, err)
		}
		pids[i] = cmd.Process.Pid
		go func() { _ = cmd.Wait() }()
		return writePIDs(dir, pids)
	}
	return fmt.Errorf("no %s of the cluster in %s runs", program, dir)
}
