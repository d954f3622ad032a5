// The govmomi peer of the vim benchmark (tools/bench/src/suites/vim.ts), built in GOPATH mode against
// Debian's govmomi (golang-github-vmware-govmomi-dev). It serves measurements over stdin/stdout so that
// the suite can interleave them with vmkit's and the other peers' (a load change then hits every
// implementation alike): after its set-up and one warm-up run it prints {"ready":true,"objects":N}; then
// for each line read it runs once and prints {"ms":T,"cpuMs":C} (wall and CPU time). It exits at the end
// of its input.
//
//	decode <file>            govmomi's SOAP decoding of a saved RetrievePropertiesEx response (its xml
//	                         fork with the vim25 type registry, as soap.Client.RoundTrip does)
//	retrieve <sdk-url> <user>   log in (the password is the first line of input) and time the end-to-end
//	                         RetrievePropertiesEx of every VM's name, config.hardware.device,
//	                         runtime.powerState, summary and datastore through a container view
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vim25/xml"
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, "govmomi peer:", err)
	os.Exit(1)
}

// cpuMs is the CPU time (user and system, every thread) this process has used, in milliseconds.
func cpuMs() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}

// serve runs once for the warm-up, says it is ready, then once per input line.
func serve(in *bufio.Reader, once func() int) {
	objects := once()
	b, _ := json.Marshal(map[string]interface{}{"ready": true, "objects": objects})
	fmt.Println(string(b))
	for {
		if _, err := in.ReadString('\n'); err != nil {
			return
		}
		c0 := cpuMs()
		t0 := time.Now()
		once()
		b, _ := json.Marshal(map[string]interface{}{"ms": float64(time.Since(t0).Nanoseconds()) / 1e6, "cpuMs": cpuMs() - c0})
		fmt.Println(string(b))
	}
}

func decodeOnce(data []byte) int {
	body := methods.RetrievePropertiesExBody{}
	env := soap.Envelope{Body: &body}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.TypeFunc = types.TypeFunc()
	if err := dec.Decode(&env); err != nil {
		fail(err)
	}
	if body.Fault_ != nil || body.Res == nil || body.Res.Returnval == nil {
		fail(fmt.Errorf("no result decoded"))
	}
	return len(body.Res.Returnval.Objects)
}

func decode(in *bufio.Reader, file string) {
	data, err := ioutil.ReadFile(file)
	if err != nil {
		fail(err)
	}
	serve(in, func() int { return decodeOnce(data) })
}

func retrieve(in *bufio.Reader, sdk, user string) {
	password, err := in.ReadString('\n')
	if err != nil && password == "" {
		fail(err)
	}
	ctx := context.Background()
	u, err := url.Parse(sdk)
	if err != nil {
		fail(err)
	}
	soapClient := soap.NewClient(u, true)
	c, err := vim25.NewClient(ctx, soapClient)
	if err != nil {
		fail(err)
	}
	m := session.NewManager(c)
	if err := m.Login(ctx, url.UserPassword(user, strings.TrimRight(password, "\n"))); err != nil {
		fail(err)
	}
	defer m.Logout(ctx)
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		fail(err)
	}
	defer v.Destroy(ctx)
	req := types.RetrievePropertiesEx{
		This: c.ServiceContent.PropertyCollector,
		SpecSet: []types.PropertyFilterSpec{{
			PropSet: []types.PropertySpec{{Type: "VirtualMachine", PathSet: []string{"name", "config.hardware.device", "runtime.powerState", "summary", "datastore"}}},
			ObjectSet: []types.ObjectSpec{{
				Obj:       v.Reference(),
				Skip:      types.NewBool(true),
				SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{Type: "ContainerView", Path: "view", Skip: types.NewBool(false)}},
			}},
		}},
	}
	once := func() int {
		res, err := methods.RetrievePropertiesEx(ctx, c, &req)
		if err != nil {
			fail(err)
		}
		if res.Returnval == nil || res.Returnval.Token != "" {
			fail(fmt.Errorf("expected the whole result in one answer"))
		}
		return len(res.Returnval.Objects)
	}
	serve(in, once)
}

func main() {
	in := bufio.NewReader(os.Stdin)
	switch {
	case len(os.Args) == 3 && os.Args[1] == "decode":
		decode(in, os.Args[2])
	case len(os.Args) == 4 && os.Args[1] == "retrieve":
		retrieve(in, os.Args[2], os.Args[3])
	default:
		fail(fmt.Errorf("usage: decode <file> | retrieve <url> <user>"))
	}
}
