package main

import (
	"flag"
	"net/http"

	"github.com/vmware/govmomi/simulator"
)

// A hook adjusts the model at one stage of start-up. Fidelity files register hooks in their init().
type hook func(*simulator.Model) error

var (
	// beforeCreate hooks run on the model's configuration, before its inventory exists.
	beforeCreate []hook
	// beforeServe hooks run after the inventory exists and before the server starts listening:
	// the place to replace handlers in the registry or add HTTP handlers to the service.
	beforeServe []hook
	// httpLayers wrap the server's whole HTTP handler (in registration order, the last one outermost),
	// for gaps that sit below the SOAP handlers (the /nfc and /folder transfers, for example).
	httpLayers []func(m *simulator.Model, next http.Handler) http.Handler
	// flagHooks add a fidelity file's own flags to the binary's flag set.
	flagHooks []func(fs *flag.FlagSet)
)

func runHooks(hooks []hook, m *simulator.Model) error {
	for _, h := range hooks {
		if err := h(m); err != nil {
			return err
		}
	}
	return nil
}

// wrapHTTP applies the httpLayers to the server's handler.
func wrapHTTP(m *simulator.Model, h http.Handler) http.Handler {
	for _, layer := range httpLayers {
		h = layer(m, h)
	}
	return h
}
