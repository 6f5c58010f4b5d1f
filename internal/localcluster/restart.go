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
		// A loaded machine may take a while to tear a large process down;
		// its successor must not start while it still holds its ports.
		for deadline := time.Now().Add(time.Minute); ours(pid); {
			if time.Now().After(deadline) {
				return fmt.Errorf("%s (PID %d) still runs a minute after SIGKILL", program, pid)
			}
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
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if err := writePIDs(dir, pids); err != nil {
			return err
		}
		select {
		case err := <-exited:
			return fmt.Errorf("%s exited as it started again (%v); its log %s says why", program, err, log.Name())
		case <-time.After(5 * time.Second):
			return nil
		}
	}
	return fmt.Errorf("no %s of the cluster in %s runs", program, dir)
}
