package main

import (
	"context"
	"io/ioutil"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// rawSOAP posts a SOAP body (the part inside soapenv:Body) with the client's session cookie. A dropped
// connection fails the test.
func rawSOAP(t *testing.T, r *ready, c *vim25.Client, inner string) (int, string) {
	t.Helper()
	env := `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ` +
		`xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soapenv:Body>` + inner + `</soapenv:Body></soapenv:Envelope>`
	req, _ := http.NewRequest(http.MethodPost, r.URL, strings.NewReader(env))
	req.Header.Set("Content-Type", "text/xml")
	u, _ := url.Parse(r.URL)
	for _, ck := range c.Client.Jar.Cookies(u) {
		req.AddCookie(ck)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("request failed (a dropped connection?): %v", err)
	}
	defer res.Body.Close()
	b, _ := ioutil.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func expectFault(t *testing.T, what string, status int, body, fault string) {
	t.Helper()
	if status != 500 || !strings.Contains(body, `xsi:type="`+fault+`"`) {
		t.Errorf("%s: want fault %s, got %d %s", what, fault, status, body)
	}
}

func firstVM(t *testing.T, c *vim25.Client) mo.VirtualMachine {
	t.Helper()
	ctx := context.Background()
	res, err := methods.RetrievePropertiesEx(ctx, c, &types.RetrievePropertiesEx{This: c.ServiceContent.PropertyCollector,
		SpecSet: []types.PropertyFilterSpec{allVMsSpec(c.ServiceContent.RootFolder, "name")}})
	if err != nil || res.Returnval == nil {
		t.Fatal(err)
	}
	var vm mo.VirtualMachine
	if err := mo.RetrieveProperties(ctx, c, c.ServiceContent.PropertyCollector, res.Returnval.Objects[0].Obj, &vm); err != nil {
		t.Fatal(err)
	}
	return vm
}

// scsiAndDisk is the last SCSI controller and the last disk among a VM's devices (nil when it has none).
func scsiAndDisk(vm mo.VirtualMachine) (scsi, disk types.BaseVirtualDevice) {
	for _, d := range vm.Config.Hardware.Device {
		switch d.(type) {
		case types.BaseVirtualSCSIController:
			scsi = d
		case *types.VirtualDisk:
			disk = d
		}
	}
	return scsi, disk
}

func reconfig(vmRef types.ManagedObjectReference, changes string) string {
	return `<ReconfigVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">` + vmRef.Value + `</_this><spec>` + changes + `</spec></ReconfigVM_Task>`
}

func TestCrashingRequestsBecomeFaults(t *testing.T) {
	r, c := testServer(t, "-vm", "1", "-cluster", "0")
	vm := firstVM(t, c)
	scsi, disk := scsiAndDisk(vm)
	if scsi == nil || disk == nil {
		t.Fatalf("the VM has no SCSI controller or disk: %#v", vm.Config.Hardware.Device)
	}
	ds := vm.Datastore[0]
	var dsMo mo.Datastore
	if err := mo.RetrieveProperties(context.Background(), c, c.ServiceContent.PropertyCollector, ds, &dsMo); err != nil {
		t.Fatal(err)
	}

	// A datastore search without a search spec searches with an empty one.
	status, body := rawSOAP(t, r, c, `<SearchDatastore_Task xmlns="urn:vim25"><_this type="HostDatastoreBrowser">`+dsMo.Browser.Value+
		`</_this><datastorePath>[`+dsMo.Name+`]</datastorePath></SearchDatastore_Task>`)
	if status != 200 || !strings.Contains(body, `type="Task"`) {
		t.Errorf("search without spec: %d %s", status, body)
	}

	// A device edit without deviceInfo is accepted.
	key := disk.GetVirtualDevice().Key
	status, body = rawSOAP(t, r, c, reconfig(vm.Self, `<deviceChange><operation>edit</operation><device xsi:type="VirtualDisk"><key>`+itoa(key)+
		`</key><backing xsi:type="VirtualDiskFlatVer2BackingInfo"><fileName>`+disk.GetVirtualDevice().Backing.(*types.VirtualDiskFlatVer2BackingInfo).FileName+
		`</fileName><diskMode>persistent</diskMode></backing><controllerKey>`+itoa(disk.GetVirtualDevice().ControllerKey)+`</controllerKey><unitNumber>`+
		itoa(*disk.GetVirtualDevice().UnitNumber)+`</unitNumber><capacityInKB>`+itoa64(disk.(*types.VirtualDisk).CapacityInKB)+`</capacityInKB></device></deviceChange>`))
	if status != 200 {
		t.Errorf("edit without deviceInfo: %d %s", status, body)
	}

	// A disk backing with a missing or unhandled xsi:type.
	for _, backing := range []string{`<backing><fileName>[` + dsMo.Name + `] x.vmdk</fileName></backing>`,
		`<backing xsi:type="VirtualDiskSparseVer2BackingInfo"><fileName>[` + dsMo.Name + `] x.vmdk</fileName><diskMode>persistent</diskMode></backing>`} {
		status, body = rawSOAP(t, r, c, reconfig(vm.Self, `<deviceChange><operation>add</operation><fileOperation>create</fileOperation><device xsi:type="VirtualDisk"><key>-1</key>`+
			backing+`<controllerKey>`+itoa(scsi.GetVirtualDevice().Key)+`</controllerKey><unitNumber>3</unitNumber><capacityInKB>1024</capacityInKB></device></deviceChange>`))
		expectFault(t, "disk backing "+backing, status, body, "InvalidDeviceBacking")
	}

	// A device without xsi:type.
	status, body = rawSOAP(t, r, c, reconfig(vm.Self, `<deviceChange><operation>add</operation><device><key>-1</key></device></deviceChange>`))
	if status != 500 || !strings.Contains(body, "Fault") {
		t.Errorf("device without type: %d %s", status, body)
	}

	// A traversal spec without (or with a wrong) xsi:type.
	for _, sel := range []string{`<selectSet><name>x</name><type>Folder</type><path>childEntity</path></selectSet>`,
		`<selectSet xsi:type="ObjectSpec"><obj type="Folder">group-d1</obj></selectSet>`} {
		status, body = rawSOAP(t, r, c, `<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector</_this><specSet>`+
			`<propSet><type>VirtualMachine</type><pathSet>name</pathSet></propSet><objectSet><obj type="Folder">group-d1</obj>`+sel+`</objectSet></specSet><options/></RetrievePropertiesEx>`)
		if status != 500 || !strings.Contains(body, "Fault") {
			t.Errorf("traversal spec %s: %d %s", sel, status, body)
		}
	}

	// CreateDisk_Task without a spec.
	status, body = rawSOAP(t, r, c, `<CreateDisk_Task xmlns="urn:vim25"><_this type="VcenterVStorageObjectManager">VStorageObjectManager</_this><spec><name>d</name><capacityInMB>1</capacityInMB></spec></CreateDisk_Task>`)
	expectFault(t, "CreateDisk_Task without backing spec", status, body, "InvalidArgument")

	// An OVF without a System section.
	ovf := `<?xml version="1.0"?><Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">` +
		`<VirtualSystem ovf:id="vm" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"><VirtualHardwareSection></VirtualHardwareSection></VirtualSystem></Envelope>`
	status, body = rawSOAP(t, r, c, `<CreateImportSpec xmlns="urn:vim25"><_this type="OvfManager">OvfManager</_this><ovfDescriptor>`+escape(ovf)+
		`</ovfDescriptor><resourcePool type="ResourcePool">`+vm.ResourcePool.Value+`</resourcePool><datastore type="Datastore">`+ds.Value+
		`</datastore><cisp><locale></locale><deploymentOption></deploymentOption><entityName>x</entityName></cisp></CreateImportSpec>`)
	expectFault(t, "OVF without System", status, body, "InvalidArgument")

	// A panic inside ReconfigVM (an edited NIC on a network that does not exist) is a fault, and the
	// VM's device list is what it was: later reconfigures still work.
	var nic types.BaseVirtualDevice
	for _, d := range vm.Config.Hardware.Device {
		if _, ok := d.(types.BaseVirtualEthernetCard); ok {
			nic = d
		}
	}
	before := len(firstVM(t, c).Config.Hardware.Device)
	status, body = rawSOAP(t, r, c, reconfig(vm.Self, `<deviceChange><operation>edit</operation><device xsi:type="VirtualE1000"><key>`+itoa(nic.GetVirtualDevice().Key)+
		`</key><deviceInfo><label>x</label><summary>x</summary></deviceInfo><backing xsi:type="VirtualEthernetCardNetworkBackingInfo"><deviceName>no-such-network</deviceName></backing>`+
		`<controllerKey>`+itoa(nic.GetVirtualDevice().ControllerKey)+`</controllerKey><unitNumber>`+itoa(*nic.GetVirtualDevice().UnitNumber)+`</unitNumber><addressType>generated</addressType></device></deviceChange>`))
	expectFault(t, "panic in ReconfigVM", status, body, "SystemError")
	after := firstVM(t, c).Config.Hardware.Device
	if len(after) != before {
		t.Errorf("the device list changed from %d to %d devices", before, len(after))
	}
	status, body = rawSOAP(t, r, c, reconfig(vm.Self, `<annotation>still works</annotation>`))
	if status != 200 {
		t.Errorf("reconfigure after a panic: %d %s", status, body)
	}

	// A timestamp without a time zone is read as UTC.
	status, body = rawSOAP(t, r, c, `<QueryEvents xmlns="urn:vim25"><_this type="EventManager">EventManager</_this><filter><time><beginTime>2000-01-01T00:00:00</beginTime></time></filter></QueryEvents>`)
	if status != 200 {
		t.Errorf("timestamp without zone: %d %s", status, body)
	}
}

func TestDeviceSpecsAreValidated(t *testing.T) {
	r, c := testServer(t, "-vm", "1", "-cluster", "0")
	vm := firstVM(t, c)
	scsi, disk := scsiAndDisk(vm)
	addDisk := func(controller int32, unit int32) string {
		return reconfig(vm.Self, `<deviceChange><operation>add</operation><fileOperation>create</fileOperation><device xsi:type="VirtualDisk"><key>-1</key>`+
			`<backing xsi:type="VirtualDiskFlatVer2BackingInfo"><fileName></fileName><diskMode>persistent</diskMode><thinProvisioned>true</thinProvisioned></backing>`+
			`<controllerKey>`+itoa(controller)+`</controllerKey><unitNumber>`+itoa(unit)+`</unitNumber><capacityInKB>1024</capacityInKB></device></deviceChange>`)
	}
	ctl := scsi.GetVirtualDevice().Key
	status, body := rawSOAP(t, r, c, addDisk(9999, 1))
	expectFault(t, "missing controller", status, body, "InvalidController")
	status, body = rawSOAP(t, r, c, addDisk(ctl, 7))
	expectFault(t, "the SCSI controller's own unit", status, body, "InvalidDeviceSpec")
	status, body = rawSOAP(t, r, c, addDisk(ctl, 16))
	expectFault(t, "unit out of range", status, body, "InvalidDeviceSpec")
	status, body = rawSOAP(t, r, c, addDisk(ctl, *disk.GetVirtualDevice().UnitNumber))
	expectFault(t, "unit taken", status, body, "InvalidDeviceSpec")
	status, body = rawSOAP(t, r, c, reconfig(vm.Self, `<deviceChange><operation>remove</operation><device xsi:type="VirtualDisk"><key>4242</key><controllerKey>`+itoa(ctl)+`</controllerKey><capacityInKB>1</capacityInKB></device></deviceChange>`))
	expectFault(t, "remove of a missing device", status, body, "InvalidDeviceSpec")
	status, body = rawSOAP(t, r, c, addDisk(ctl, 5))
	if status != 200 {
		t.Errorf("a valid disk add: %d %s", status, body)
	}

	// A new SCSI controller without scsiCtlrUnitNumber uses unit 7, so a disk may take unit 0.
	status, body = rawSOAP(t, r, c, `<CreateVM_Task xmlns="urn:vim25"><_this type="Folder">`+vm.Parent.Value+`</_this><config><name>unit0</name><guestId>otherGuest</guestId>`+
		`<files><vmPathName>[LocalDS_0]</vmPathName></files><deviceChange><operation>add</operation><device xsi:type="VirtualLsiLogicController"><key>1000</key><busNumber>0</busNumber><sharedBus>noSharing</sharedBus></device></deviceChange>`+
		`<deviceChange><operation>add</operation><fileOperation>create</fileOperation><device xsi:type="VirtualDisk"><key>-1</key><backing xsi:type="VirtualDiskFlatVer2BackingInfo"><fileName></fileName><diskMode>persistent</diskMode></backing>`+
		`<controllerKey>1000</controllerKey><unitNumber>0</unitNumber><capacityInKB>1024</capacityInKB></device></deviceChange></config><pool type="ResourcePool">`+vm.ResourcePool.Value+`</pool></CreateVM_Task>`)
	if status != 200 {
		t.Errorf("a disk at unit 0 of a new controller: %d %s", status, body)
	}
}

func itoa(n int32) string   { return strconv.Itoa(int(n)) }
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func TestMoveAndCopyDefaultToTheSourceDatacenter(t *testing.T) {
	r, c := testServer(t, "-vm", "0")
	ctx := context.Background()
	u := strings.TrimSuffix(r.URL, "/sdk") + "/folder/m/a.txt?dcPath=DC0&dsName=LocalDS_0"
	session := &http.Cookie{Name: "vmware_soap_session", Value: sessionKey(t, r, c)}
	if status, _ := folderCall(t, "PUT", u, "abc", session); status != 200 {
		t.Fatalf("PUT: %d", status)
	}
	var dc types.ManagedObjectReference
	for _, e := range firstDatacenters(t, c) {
		dc = e
	}
	fm := *c.ServiceContent.FileManager
	task, err := methods.CopyDatastoreFile_Task(ctx, c, &types.CopyDatastoreFile_Task{This: fm, SourceName: "[LocalDS_0] m/a.txt", SourceDatacenter: &dc, DestinationName: "[LocalDS_0] m/b.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if info := taskInfo(t, c, task.Returnval); info.State != types.TaskInfoStateSuccess {
		t.Fatalf("copy without a destination datacenter: %v %v", info.State, info.Error)
	}
	if status, body := folderCall(t, "GET", strings.Replace(u, "a.txt", "b.txt", 1), "", session); status != 200 || body != "abc" {
		t.Fatalf("the copy: %d %q", status, body)
	}
	vm := types.ManagedObjectReference{Type: "Folder", Value: "group-d1"}
	_, err = methods.MoveDatastoreFile_Task(ctx, c, &types.MoveDatastoreFile_Task{This: fm, SourceName: "[LocalDS_0] m/a.txt", SourceDatacenter: &vm, DestinationName: "[LocalDS_0] m/c.txt"})
	if !soap.IsSoapFault(err) {
		t.Fatalf("a folder as datacenter: %v", err)
	}
}

func firstDatacenters(t *testing.T, c *vim25.Client) []types.ManagedObjectReference {
	t.Helper()
	var root mo.Folder
	if err := mo.RetrieveProperties(context.Background(), c, c.ServiceContent.PropertyCollector, c.ServiceContent.RootFolder, &root); err != nil {
		t.Fatal(err)
	}
	var out []types.ManagedObjectReference
	for _, e := range root.ChildEntity {
		if e.Type == "Datacenter" {
			out = append(out, e)
		}
	}
	return out
}
