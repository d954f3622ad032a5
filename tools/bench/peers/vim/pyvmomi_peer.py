#!/usr/bin/python3
# The pyVmomi peer of the vim benchmark (tools/bench/src/suites/vim.ts), run with Debian's python3-pyvmomi
# (6.7.1). It prints one JSON line: {"ms": [...]} with the time of each measured iteration.
#
#   decode <file> <iterations>              pyVmomi's SOAP deserializer (SoapResponseDeserializer, as its
#                                           stub uses it) on a saved RetrievePropertiesEx response
#   retrieve <sdk-url> <user> <iterations>  log in (password on stdin) and time the end-to-end
#                                           RetrievePropertiesEx of every VM's name, config.hardware.device,
#                                           runtime.powerState, summary and datastore via a container view
import json
import sys
import time
from urllib.parse import urlparse

from pyVmomi import SoapAdapter, VmomiSupport, vim, vmodl
from pyVim import connect

PATHS = ['name', 'config.hardware.device', 'runtime.powerState', 'summary', 'datastore']


def emit(ms, **extra):
    print(json.dumps(dict(ms=ms, **extra)))


def decode(path, n):
    with open(path, 'rb') as f:
        data = f.read()
    stub = SoapAdapter.SoapStubAdapter(host='localhost', version=VmomiSupport.newestVersions.Get('vim'))
    result_type = vmodl.query.PropertyCollector.RetrieveResult

    def once():
        r = SoapAdapter.SoapResponseDeserializer(stub).Deserialize(data, result_type)
        return len(r.objects)

    objects = once()  # warm-up
    ms = []
    for _ in range(n):
        t0 = time.perf_counter()
        once()
        ms.append((time.perf_counter() - t0) * 1000)
    emit(ms, objects=objects)


def retrieve(sdk, user, n):
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

        objects = once()  # warm-up
        ms = []
        for _ in range(n):
            t0 = time.perf_counter()
            once()
            ms.append((time.perf_counter() - t0) * 1000)
        view.Destroy()
        emit(ms, objects=objects)
    finally:
        content.sessionManager.Logout()


if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'decode':
        decode(sys.argv[2], int(sys.argv[3]))
    elif cmd == 'retrieve':
        retrieve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        raise SystemExit('unknown command ' + cmd)
