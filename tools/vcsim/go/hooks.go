package main

import "github.com/vmware/govmomi/simulator"

// A hook adjusts the model at one stage of start-up. Fidelity files register hooks in their init().
type hook func(*simulator.Model) error

var (
	// beforeCreate hooks run on the model's configuration, before its inventory exists.
	beforeCreate []hook
	// beforeServe hooks run after the inventory exists and before the server starts listening:
	// the place to replace handlers in the registry or add HTTP handlers to the service.
	beforeServe []hook
)

func runHooks(hooks []hook, m *simulator.Model) error {
	for _, h := range hooks {
		if err := h(m); err != nil {
			return err
		}
	}
	return nil
}
