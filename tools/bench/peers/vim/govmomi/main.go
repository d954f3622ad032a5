// The govmomi peer of the vim benchmark (tools/bench/src/suites/vim.ts), built in GOPATH mode against
// Debian's govmomi (golang-github-vmware-govmomi-dev). It prints one JSON line: {"ms":[...]} with the
// time of each measured iteration.
//
//	decode <file> <iterations>                       govmomi's SOAP decoding of a saved
//	                                                 RetrievePropertiesEx response (its xml fork with the
//	                                                 vim25 type registry, as soap.Client.RoundTrip does)
//	retrieve <sdk-url> <user> <iterations>           log in (password on stdin) and time the end-to-end
//	                                                 RetrievePropertiesEx of every VM's name,
//	                                                 config.hardware.device, runtime.powerState, summary
//	                                                 and datastore through a container view
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
	"strconv"
	"strings"
	"time"

	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vim25/xml"
	"github.com/vmware/govmomi/session"
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, "govmomi peer:", err)
	os.Exit(1)
}

func emit(ms []float64, extra map[string]interface{}) {
	out := map[string]interface{}{"ms": ms}
	for k, v := range extra {
		out[k] = v
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
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

func decode(file string, n int) {
	data, err := ioutil.ReadFile(file)
	if err != nil {
		fail(err)
	}
	objects := decodeOnce(data) // warm-up
	ms := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		decodeOnce(data)
		ms = append(ms, float64(time.Since(t0).Nanoseconds())/1e6)
	}
	emit(ms, map[string]interface{}{"objects": objects})
}

func retrieve(sdk, user string, n int) {
	password, err := bufio.NewReader(os.Stdin).ReadString('\n')
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
	objects := once() // warm-up
	ms := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		once()
		ms = append(ms, float64(time.Since(t0).Nanoseconds())/1e6)
	}
	emit(ms, map[string]interface{}{"objects": objects})
}

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: decode <file> <n> | retrieve <url> <user> <n>"))
	}
	switch os.Args[1] {
	case "decode":
		n, _ := strconv.Atoi(os.Args[3])
		decode(os.Args[2], n)
	case "retrieve":
		n, _ := strconv.Atoi(os.Args[4])
		retrieve(os.Args[2], os.Args[3], n)
	default:
		fail(fmt.Errorf("unknown command %s", os.Args[1]))
	}
}
