// server-go: a small HTTP server that is its own health client.
//
//	/app [-addr :8080]                         serves / and /healthz
//	/app -health [-addr :8080] [-path /healthz]  asks a running server; exit 0 when it answers 2xx
//
// The second form is what the image's HEALTHCHECK runs: the image needs no curl or wget.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"time"
)

func main() {
	addr := flag.String("addr", ":8080", "address to listen on (or, with -health, to ask)")
	health := flag.Bool("health", false, "ask the server at -addr for -path and exit 0 when it answers 2xx")
	path := flag.String("path", "/healthz", "path -health asks for")
	flag.Parse()
	if *health {
		os.Exit(check(*addr, *path))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "Hello from %s/%s\n", runtime.GOOS, runtime.GOARCH)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "server-go:", err)
		os.Exit(1)
	}
	fmt.Printf("server-go listening on %s (%s/%s)\n", listener.Addr(), runtime.GOOS, runtime.GOARCH)
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	if err := server.Serve(listener); err != nil {
		fmt.Fprintln(os.Stderr, "server-go:", err)
		os.Exit(1)
	}
}

// check asks the server and says what it answered.
func check(addr, path string) int {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "health:", err)
		return 2
	}
	client := &http.Client{Timeout: 2 * time.Second}
	res, err := client.Get("http://127.0.0.1:" + port + path)
	if err != nil {
		fmt.Println("health:", err)
		return 1
	}
	res.Body.Close()
	fmt.Println("health:", res.Status)
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return 1
	}
	return 0
}
