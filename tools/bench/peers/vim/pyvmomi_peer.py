#!/usr/bin/python3
# The pyVmomi peer of the vim benchmark (tools/bench/src/suites/vim.ts), run with Debian's python3-pyvmomi
# (6.7.1). It serves measurements over stdin/stdout so that the suite can interleave them with vmkit's and
# the other peers' (a load change then hits every implementation alike): after its set-up and one warm-up
# run it prints {"ready": true, "objects": N}; then for each line read it runs once and prints
# {"ms": T, "cpuMs": C} (wall and CPU time).
# It exits at the end of its input.
#
#   decode <file>              pyVmomi's SOAP deserializer (SoapResponseDeserializer, as its stub uses it)
#                              on a saved RetrievePropertiesEx response
#   retrieve <sdk-url> <user>  log in (the password is the first line of input) and time the end-to-end
#                              RetrievePropertiesEx of every VM's name, config.hardware.device,
#                              runtime.powerState, summary and datastore through a container view
import json
import sys
import time
from urllib.parse import urlparse

from pyVmomi import SoapAdapter, VmomiSupport, vim, vmodl
from pyVim import connect

PATHS = ['name', 'config.hardware.device', 'runtime.powerState', 'summary', 'datastore']


def say(**fields):
    sys.stdout.write(json.dumps(fields) + '\n')
    sys.stdout.flush()


def serve(once):
    say(ready=True, objects=once())
    for _ in sys.stdin:
        t0, c0 = time.perf_counter(), time.process_time()
        once()
        say(ms=(time.perf_counter() - t0) * 1000, cpuMs=(time.process_time() - c0) * 1000)


def decode(path):
    with open(path, 'rb') as f:
        data = f.read()
    stub = SoapAdapter.SoapStubAdapter(host='localhost', version=VmomiSupport.newestVersions.Get('vim'))
    result_type = vmodl.query.PropertyCollector.RetrieveResult
    serve(lambda: len(SoapAdapter.SoapResponseDeserializer(stub).Deserialize(data, result_type).objects))


def retrieve(sdk, user):
    password = sys.stdin.readline().rstrip('\n')
    u = urlparse(sdk)
    # pyVim.connect.SmartConnect hands an SSL context to plain-HTTP connections on loopback, which Python
    # 3.11 refuses; the stub is what it would build, made directly (a negative port means plain HTTP).
    http = u.scheme == 'http'
    stub = SoapAdapter.SoapStubAdapter(host=u.hostname, port=-u.port if http else u.port, path=u.path,
                                       version=VmomiSupport.newestVersions.Get('vim'),
                                       sslContext=None if http else connect.localSslFixup(u.hostname, None))
    si = vim.ServiceInstance('ServiceInstance', stub)
    content = si.RetrieveContent()
    content.sessionManager.Login(user, password)
    try:
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
        spec = vmodl.query.PropertyCollector.FilterSpec(
            propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.VirtualMachine, pathSet=PATHS)],
            objectSet=[vmodl.query.PropertyCollector.ObjectSpec(
                obj=view, skip=True,
                selectSet=[vmodl.query.PropertyCollector.TraversalSpec(type=vim.view.ContainerView, path='view', skip=False)])])
        options = vmodl.query.PropertyCollector.RetrieveOptions()

        def once():
            r = content.propertyCollector.RetrievePropertiesEx([spec], options)
            if r.token:
                raise SystemExit('expected the whole result in one answer')
            return len(r.objects)

        serve(once)
        view.Destroy()
    finally:
        content.sessionManager.Logout()


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == 'decode':
        decode(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == 'retrieve':
        retrieve(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit('usage: decode <file> | retrieve <sdk-url> <user>')
