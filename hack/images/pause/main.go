// Command pause is the pod sandbox's process for hack/'s local node: it
// holds the pod's namespaces and waits until it is told to stop. containerd
// runs it under the name its sandbox_image setting gives.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}
