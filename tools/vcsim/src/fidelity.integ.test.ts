import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSimulatorBinary } from './build.js';
import { RawSoap, faultOf, objectRefs, xmlText } from './control-soap.test-helper.js';
import { startSimulator } from './simulator.js';
import type { Simulator } from './simulator.js';

let sim: Simulator;
let soap: RawSoap;
let vm: string;
let pool: string;
let datastore: string;
let browser: string;

const reconfig = (spec: string) => `<ReconfigVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">${vm}</_this><spec>${spec}</spec></ReconfigVM_Task>`;
const valOf = (body: string, name: string) => new RegExp(`<name>${name.replace(/[.[\]"]/g, '\\$&')}</name><val [^>]*>([^<]*)<`).exec(body)?.[1];

beforeAll(async () => {
  await ensureSimulatorBinary();
  sim = await startSimulator({ vms: 1, clusters: 0 });
  soap = new RawSoap(sim);
  await soap.login();
  vm = objectRefs((await soap.retrieveAll('VirtualMachine', ['name'])).body)[0]!;
  pool = objectRefs((await soap.retrieveAll('ResourcePool', ['name'])).body)[0]!;
  const ds = (await soap.retrieveAll('Datastore', ['browser'])).body;
  datastore = objectRefs(ds)[0]!;
  browser = /<val [^>]*type="HostDatastoreBrowser"[^>]*>([^<]+)</.exec(ds)?.[1] ?? /type="HostDatastoreBrowser">([^<]+)</.exec(ds)![1]!;
}, 300_000);
afterAll(async () => {
  await soap?.close();
  await sim?.stop();
});

describe('requests that crashed the simulator', () => {
  it('searches a datastore without a search spec', async () => {
    const a = await soap.call(
      `<SearchDatastore_Task xmlns="urn:vim25"><_this type="HostDatastoreBrowser">${browser}</_this><datastorePath>[LocalDS_0]</datastorePath></SearchDatastore_Task>`,
    );
    expect(a.status).toBe(200);
    expect(a.body).toContain('type="Task"');
  });

  it('edits a device without deviceInfo', async () => {
    const a = await soap.call(reconfig('<deviceChange><operation>edit</operation><device xsi:type="VirtualPCIController"><key>100</key><busNumber>0</busNumber></device></deviceChange>'));
    expect(a.status).toBe(200);
  });

  it('answers a disk backing with a missing or unhandled xsi:type with InvalidDeviceBacking', async () => {
    // (the backing is checked before the controller, so any controller key will do)
    for (const backing of ['<backing><fileName>[LocalDS_0] x.vmdk</fileName></backing>', '<backing xsi:type="VirtualDiskSparseVer2BackingInfo"><fileName>[LocalDS_0] x.vmdk</fileName><diskMode>persistent</diskMode></backing>']) {
      const a = await soap.call(
        reconfig(
          `<deviceChange><operation>add</operation><fileOperation>create</fileOperation><device xsi:type="VirtualDisk"><key>-1</key>${backing}` +
            '<controllerKey>1000</controllerKey><unitNumber>3</unitNumber><capacityInKB>1024</capacityInKB></device></deviceChange>',
        ),
      );
      expect(faultOf(a)).toBe('InvalidDeviceBacking');
    }
  });

  it('answers a traversal spec with a missing or wrong xsi:type with a fault', async () => {
    for (const sel of ['<selectSet><name>x</name><type>Folder</type><path>childEntity</path></selectSet>', '<selectSet xsi:type="ObjectSpec"><obj type="Folder">group-d1</obj></selectSet>']) {
      const a = await soap.call(
        '<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector</_this><specSet><propSet><type>VirtualMachine</type><pathSet>name</pathSet></propSet>' +
          `<objectSet><obj type="Folder">group-d1</obj>${sel}</objectSet></specSet><options/></RetrievePropertiesEx>`,
      );
      expect(a.status).toBe(500);
      expect(faultOf(a)).toBeDefined();
    }
  });

  it('answers CreateDisk_Task without a spec with InvalidArgument', async () => {
    const a = await soap.call(
      '<CreateDisk_Task xmlns="urn:vim25"><_this type="VcenterVStorageObjectManager">VStorageObjectManager</_this><spec><name>d</name><capacityInMB>1</capacityInMB></spec></CreateDisk_Task>',
    );
    expect(faultOf(a)).toBe('InvalidArgument');
  });

  it('answers an OVF without a System section with InvalidArgument', async () => {
    const ovf =
      '<?xml version="1.0"?><Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">' +
      '<VirtualSystem ovf:id="vm"><VirtualHardwareSection></VirtualHardwareSection></VirtualSystem></Envelope>';
    const a = await soap.call(
      `<CreateImportSpec xmlns="urn:vim25"><_this type="OvfManager">OvfManager</_this><ovfDescriptor>${xmlText(ovf)}</ovfDescriptor>` +
        `<resourcePool type="ResourcePool">${pool}</resourcePool><datastore type="Datastore">${xmlText(datastore)}</datastore>` +
        '<cisp><locale></locale><deploymentOption></deploymentOption><entityName>x</entityName></cisp></CreateImportSpec>',
    );
    expect(faultOf(a)).toBe('InvalidArgument');
  });

  it('turns a crash inside ReconfigVM into SystemError and leaves the VM working', async () => {
    const devices = async () => ((await soap.retrieveAll('VirtualMachine', ['config.hardware.device'])).body.match(/<VirtualDevice /g) ?? []).length;
    const before = await devices();
    const a = await soap.call(
      reconfig(
        '<deviceChange><operation>edit</operation><device xsi:type="VirtualE1000"><key>4000</key><deviceInfo><label>x</label><summary>x</summary></deviceInfo>' +
          '<backing xsi:type="VirtualEthernetCardNetworkBackingInfo"><deviceName>no-such-network</deviceName></backing><addressType>generated</addressType></device></deviceChange>',
      ),
    );
    expect(faultOf(a)).toBe('SystemError');
    expect(await devices()).toBe(before);
    expect((await soap.call(reconfig('<annotation>still works</annotation>'))).status).toBe(200);
  });
});

describe('fidelity of the model', () => {
  it('validates device specs as vCenter does', async () => {
    const addDisk = (controller: number, unit: number) =>
      reconfig(
        '<deviceChange><operation>add</operation><fileOperation>create</fileOperation><device xsi:type="VirtualDisk"><key>-1</key>' +
          '<backing xsi:type="VirtualDiskFlatVer2BackingInfo"><fileName></fileName><diskMode>persistent</diskMode><thinProvisioned>true</thinProvisioned></backing>' +
          `<controllerKey>${controller}</controllerKey><unitNumber>${unit}</unitNumber><capacityInKB>1024</capacityInKB></device></deviceChange>`,
      );
    const devices = (await soap.retrieveAll('VirtualMachine', ['config.hardware.device'])).body;
    const scsi = Number(/type="(?:ParaVirtualSCSIController|VirtualLsiLogicController|VirtualLsiLogicSASController|VirtualBusLogicController)"><key>(\d+)</.exec(devices)![1]);
    const diskUnit = Number(new RegExp(`type="VirtualDisk">(?:(?!</VirtualDevice>).)*<controllerKey>${scsi}</controllerKey><unitNumber>(\\d+)<`).exec(devices)![1]);
    expect(faultOf(await soap.call(addDisk(9999, 1)))).toBe('InvalidController');
    expect(faultOf(await soap.call(addDisk(scsi, 7)))).toBe('InvalidDeviceSpec'); // the controller's own unit
    expect(faultOf(await soap.call(addDisk(scsi, 16)))).toBe('InvalidDeviceSpec');
    expect(faultOf(await soap.call(addDisk(scsi, diskUnit)))).toBe('InvalidDeviceSpec'); // the VM's own disk
    expect((await soap.call(addDisk(scsi, diskUnit === 9 ? 10 : 9))).status).toBe(200);
  });

  it('reads keyed property paths and finds a VM by its UUID', async () => {
    await soap.call(reconfig('<extraConfig xsi:type="OptionValue"><key>cinder.volume.id</key><value xsi:type="xsd:string">v-42</value></extraConfig>'));
    const r = (await soap.retrieveAll('VirtualMachine', ['config.extraConfig["cinder.volume.id"]', 'config.uuid'])).body;
    expect(r).toMatch(/<name>config\.extraConfig\[(?:"|&#34;|&quot;)cinder\.volume\.id(?:"|&#34;|&quot;)\]<\/name>/);
    expect(r).toMatch(/<key>cinder\.volume\.id<\/key><value [^>]*>v-42<\/value>/);
    const uuid = valOf(r, 'config.uuid')!;
    const found = await soap.call(
      `<FindAllByUuid xmlns="urn:vim25"><_this type="SearchIndex">SearchIndex</_this><uuid>${uuid}</uuid><vmSearch>true</vmSearch><instanceUuid>false</instanceUuid></FindAllByUuid>`,
    );
    expect(found.status).toBe(200);
    expect(found.body).toContain(`<returnval type="VirtualMachine">${vm}</returnval>`);
  });

  it('registers an extension once', async () => {
    const register =
      '<RegisterExtension xmlns="urn:vim25"><_this type="ExtensionManager">ExtensionManager</_this><extension><description><label>OpenStack Cinder</label><summary>x</summary></description>' +
      '<key>org.openstack.storage</key><version>1.0</version><type>volume</type><lastHeartbeatTime>2026-01-01T00:00:00</lastHeartbeatTime></extension></RegisterExtension>';
    expect((await soap.call(register)).status).toBe(200);
    expect(faultOf(await soap.call(register))).toBe('InvalidArgument');
    const found = await soap.call('<FindExtension xmlns="urn:vim25"><_this type="ExtensionManager">ExtensionManager</_this><extensionKey>org.openstack.storage</extensionKey></FindExtension>');
    expect(found.body).toContain('<key>org.openstack.storage</key>');
  });

  it('requires a session for /folder and deletes on DELETE', async () => {
    const url = new URL('/folder/t/a.txt?dcPath=DC0&dsName=LocalDS_0', sim.url);
    expect((await fetch(url, { method: 'PUT', body: 'x' })).status).toBe(401);
    const cookie = `vmware_soap_session=${soap.cookie}`;
    expect((await fetch(url, { method: 'PUT', body: 'x', headers: { cookie } })).status).toBe(200);
    expect(await (await fetch(url, { headers: { cookie } })).text()).toBe('x');
    expect((await fetch(url, { method: 'DELETE', headers: { cookie } })).status).toBe(204);
    expect((await fetch(url, { headers: { cookie } })).status).toBe(404);
  });
});
