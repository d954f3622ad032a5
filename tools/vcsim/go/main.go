// Command vcsim is vmkit's wrapper around VMware's vCenter simulator (govmomi's simulator package,
// from Debian's golang-github-vmware-govmomi-dev, built in GOPATH mode). It serves one model on
// loopback, prints exactly one JSON line on stdout when ready, and exits on SIGTERM, SIGINT or when
// its standard input closes (its parent went away), removing the model's temporary directories.
//
// Fidelity fixes for gaps of the 0.24 simulator live in files of their own in this package; each
// registers itself through the hooks in hooks.go and says which gap it fills.
package main

import (
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	_ "github.com/vmware/govmomi/pbm/simulator" // registers the PBM endpoint at /pbm
	"github.com/vmware/govmomi/simulator"
)

// ready is the one JSON line printed on stdout.
type ready struct {
	URL         string `json:"url"`
	PbmURL      string `json:"pbmUrl"`
	Username    string `json:"username"`
	Password    string `json:"password"`
	Certificate string `json:"certificate,omitempty"`
	Model       string `json:"model"`
	Pid         int    `json:"pid"`
}

type options struct {
	listen      string
	model       string
	datacenters int
	clusters    int
	clusterHost int
	hosts       int
	vms         int
	datastores  int
	pools       int
	folders     int
	tls         bool
	idleTimeout time.Duration
	username    string
	password    string
	verbose     bool
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("vcsim", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "listen address, loopback only (port 0 picks a free port)")
	fs.StringVar(&o.model, "model", "vpx", "vpx (vCenter) or esx (a standalone ESX host)")
	fs.IntVar(&o.datacenters, "dc", 1, "datacenters (vpx)")
	fs.IntVar(&o.clusters, "cluster", 1, "clusters per datacenter (vpx)")
	fs.IntVar(&o.clusterHost, "cluster-host", 3, "hosts per cluster (vpx)")
	fs.IntVar(&o.hosts, "host", 1, "standalone hosts per datacenter (vpx)")
	fs.IntVar(&o.vms, "vm", 2, "virtual machines per host or cluster resource pool")
	fs.IntVar(&o.datastores, "ds", 1, "local datastores per datacenter, mounted by every host")
	fs.IntVar(&o.pools, "pool", 0, "extra resource pools per cluster (vpx)")
	fs.IntVar(&o.folders, "folder", 0, "extra folders per datacenter folder type (vpx)")
	fs.BoolVar(&o.tls, "tls", false, "serve https with a self-signed certificate printed in the JSON line")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", 0, "expire sessions idle for longer than this (0: never)")
	fs.StringVar(&o.username, "username", "user", "the user that Login accepts")
	fs.StringVar(&o.password, "password", "pass", "the password that Login accepts")
	fs.BoolVar(&o.verbose, "verbose", false, "log the simulator's messages on stderr")
	for _, f := range flagHooks {
		f(fs) // flags of the fidelity files; they check their values in a beforeCreate hook
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if o.model != "vpx" && o.model != "esx" {
		return nil, fmt.Errorf("-model must be vpx or esx, not %q", o.model)
	}
	host, _, err := net.SplitHostPort(o.listen)
	if err != nil {
		return nil, fmt.Errorf("-listen %q: %v", o.listen, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("-listen %q: only loopback addresses are served", o.listen)
	}
	for name, n := range map[string]int{"dc": o.datacenters, "cluster": o.clusters, "cluster-host": o.clusterHost,
		"host": o.hosts, "vm": o.vms, "ds": o.datastores, "pool": o.pools, "folder": o.folders} {
		if n < 0 {
			return nil, fmt.Errorf("-%s must not be negative", name)
		}
	}
	if o.idleTimeout < 0 {
		return nil, fmt.Errorf("-idle-timeout must not be negative")
	}
	return o, nil
}

func newModel(o *options) *simulator.Model {
	var m *simulator.Model
	if o.model == "esx" {
		m = simulator.ESX()
	} else {
		m = simulator.VPX()
		m.Datacenter = o.datacenters
		m.Cluster = o.clusters
		m.ClusterHost = o.clusterHost
		m.Host = o.hosts
		m.Pool = o.pools
		m.Folder = o.folders
	}
	m.Machine = o.vms
	m.Datastore = o.datastores
	return m
}

func run(args []string, stdout io.Writer, stdin io.Reader) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	if !o.verbose {
		log.SetOutput(ioutil.Discard)
	}
	simulator.SessionIdleTimeout = o.idleTimeout

	// Catch the signals before anything is created, so that a stop that comes right after the ready
	// line (or during start-up) still runs the clean-up below instead of killing the process outright.
	done := make(chan string, 2)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() { done <- (<-signals).String() }()

	m := newModel(o)
	if err := runHooks(beforeCreate, m); err != nil {
		return err
	}
	if err := m.Create(); err != nil {
		m.Remove()
		return fmt.Errorf("creating the model: %v", err)
	}
	defer m.Remove()

	m.Service.RegisterEndpoints = true
	m.Service.Listen = &url.URL{Host: o.listen, User: url.UserPassword(o.username, o.password)}
	if o.tls {
		m.Service.TLS = new(tls.Config)
	}
	if err := runHooks(beforeServe, m); err != nil {
		return err
	}
	server := m.Service.NewServer()
	defer server.Close()
	server.Config.Handler = wrapHTTP(m, server.Config.Handler) // before any request: the URL is not printed yet

	u := *server.URL
	u.User = nil
	pbm := u
	pbm.Path = "/pbm"
	line := ready{URL: u.String(), PbmURL: pbm.String(), Username: o.username, Password: o.password, Model: o.model, Pid: os.Getpid()}
	if o.tls {
		line.Certificate = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: server.Certificate().Raw}))
	}
	out, err := json.Marshal(line)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", out); err != nil {
		return err
	}

	go func() {
		// Standard input closing means the parent is gone: a harness never leaves a simulator behind.
		_, _ = io.Copy(ioutil.Discard, stdin)
		done <- "stdin closed"
	}()
	reason := <-done
	log.Printf("vcsim: stopping (%s)", reason)
	return nil
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stdin); err != nil {
		if err != flag.ErrHelp {
			fmt.Fprintf(os.Stderr, "vcsim: %v\n", err)
			os.Exit(2)
		}
	}
}
