package controlplane

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Processes starts programs with their output in dir/NAME.log and stops
// exactly those, by PID.
type Processes struct {
	dir    string
	detach bool
	procs  []*proc
}

// proc is a started process and a channel closed when it exits.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

// NewProcesses records processes whose logs go to dir. Detached processes
// get their own session, so they outlive the program that started them.
func NewProcesses(dir string, detach bool) *Processes {
	return &Processes{dir: dir, detach: detach}
}

// Run starts path with args; the log is named after the program.
func (p *Processes) Run(path string, args ...string) error {
	return p.RunNamed(filepath.Base(path), path, args...)
}

// RunNamed starts path with args under a name of its own, for a second copy
// of a program; the log is NAME.log.
func (p *Processes) RunNamed(name, path string, args ...string) error {
	log, err := os.Create(filepath.Join(p.dir, name+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if p.detach {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("starting %s: %w", name, err)
	}
	pr := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		log.Close()
		close(pr.done)
	}()
	p.procs = append(p.procs, pr)
	return nil
}

// Exited returns an error naming the first process that has exited.
func (p *Processes) Exited() error {
	for _, pr := range p.procs {
		select {
		case <-pr.done:
			return fmt.Errorf("%s exited early: %s", pr.name, p.Log(pr.name, 800))
		default:
		}
	}
	return nil
}

// PIDs returns the processes' IDs, oldest first.
func (p *Processes) PIDs() []int {
	var pids []int
	for _, pr := range p.procs {
		pids = append(pids, pr.cmd.Process.Pid)
	}
	return pids
}

// Kill ends the process named name at once, as a crash would, waits for it
// and forgets it.
func (p *Processes) Kill(name string) error {
	for i, pr := range p.procs {
		select {
		case <-pr.done:
			continue
		default:
		}
		if pr.name != name {
			continue
		}
		_ = pr.cmd.Process.Kill()
		<-pr.done
		p.procs = append(p.procs[:i], p.procs[i+1:]...)
		return nil
	}
	return fmt.Errorf("no running %s to kill", name)
}

// Stop ends the processes newest first: SIGTERM, then SIGKILL after a grace
// period, and waits for each.
func (p *Processes) Stop() {
	for i := len(p.procs) - 1; i >= 0; i-- {
		pr := p.procs[i]
		_ = pr.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-pr.done:
		case <-time.After(10 * time.Second):
			_ = pr.cmd.Process.Kill()
			<-pr.done
		}
	}
	p.procs = nil
}

// Log returns the tail of a program's log, for failure reports.
func (p *Processes) Log(name string, maxBytes int) string {
	data, err := os.ReadFile(filepath.Join(p.dir, name+".log"))
	if err != nil {
		return err.Error()
	}
	if len(data) > maxBytes {
		data = data[len(data)-maxBytes:]
	}
	return string(data)
}
