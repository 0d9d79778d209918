// hellodocker-go: prints a greeting and the addresses it can see.
// Importing "net" is what makes a cgo-enabled build link glibc dynamically.
package main

import (
	"fmt"
	"net"
	"os"
	"runtime"
)

func main() {
	host, _ := os.Hostname()
	fmt.Printf("Hello, Docker! from %s on %s/%s\n", host, runtime.GOOS, runtime.GOARCH)
	if ifaces, err := net.Interfaces(); err == nil {
		fmt.Printf("%d network interface(s)\n", len(ifaces))
	}
}
