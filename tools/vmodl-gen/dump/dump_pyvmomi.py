#!/usr/bin/python3
"""Dump pyVmomi's VMODL type tables (vim, vmodl and pbm namespaces) to one sorted JSON file.

Run with Debian's interpreter, which sees Debian's python3-pyvmomi:

    /usr/bin/python3 tools/vmodl-gen/dump/dump_pyvmomi.py packages/vim/schema/vmodl.json

pyVmomi registers every type with CreateDataType / CreateManagedType / CreateEnumType calls (in
CoreTypes.py, QueryTypes.py, ServerObjects.py, PbmObjects.py, ...) and keeps the arguments of those calls
in VmomiSupport's definition maps. This script reads those maps (it never instantiates a type) and writes
them with wire (XSD) names instead of VMODL names. The output depends only on the installed pyVmomi, so
running it twice gives the same bytes; tools/vmodl-gen's tests check that.

The JSON describes the wire, which is what the codec needs. Where pyVmomi's tables and the wire differ
(pyVmomi bridges the gap in SoapAdapter.py, or VMware's WSDL generator applies a rule pyVmomi does not
record), the dump writes the wire form. Every such rule is listed in WIRE_CORRECTIONS with its reason,
copied into the JSON's "about" section, and checked against VMware's XSDs by tools/vmodl-gen's tests.
"""

import json
import sys

from pyVmomi import VmomiSupport as V

NAMESPACES = ('vim', 'vmodl', 'pbm')
"""Top-level VMODL namespaces to dump. pyVmomi also carries sms and eam, which vmkit does not use."""

PRIMITIVES = {
    'string': 'string',
    'bool': 'boolean',
    'boolean': 'boolean',
    'byte': 'byte',
    'short': 'short',
    'int': 'int',
    'long': 'long',
    'float': 'float',
    'double': 'double',
    'anyType': 'anyType',
    'vmodl.DateTime': 'dateTime',
    'vmodl.Binary': 'base64Binary',
    'vmodl.URI': 'anyURI',
    # VMODL names of types, methods and property paths are plain strings on the wire.
    'vmodl.TypeName': 'string',
    'vmodl.MethodName': 'string',
    'vmodl.PropertyPath': 'string',
}

MOREF = 'ManagedObjectReference'

NEWEST = [V.newestVersions.Get('vim'), V.newestVersions.Get('pbm')]
"""The newest public version of each service (vim25 6.7.1 and pbm 6.7.1 in pyVmomi 6.7.1)."""

VIM25_BASELINE = ('vim.version.version1', 'vim.version.version2')
"""API 2.0 and 2.5: the members a type had when the vim25 namespace first shipped (API 2.5)."""

WIRE_CORRECTIONS = [
    {
        'what': 'only what the newest public versions can see',
        'why': 'types, members and methods whose VMODL version is not an ancestor of vim 6.7.1 or pbm '
               '6.7.1 (pyVmomi\'s internal "vim.version.legacy") are left out: pyVmomi itself neither '
               'sends nor expects them when it talks 6.7.1, and none is in VMware\'s XSDs. They are '
               'listed under "about.hidden".',
    },
    {
        'what': 'data object members added to an existing type after API 2.5 are optional',
        'why': 'VMware\'s WSDL marks such a member minOccurs="0" so that a server of the older release, '
               'which omits it, still conforms; pyVmomi keeps the VMODL flag. Such members carry '
               '"vmodlOptional": false.',
    },
    {
        'what': 'MethodFault: no base type, and no msg member',
        'why': 'pyVmomi derives vmodl.MethodFault from DynamicData and adds msg, its local copy of the '
               'localized message (SoapAdapter clears it before writing a fault and fills it from '
               'LocalizedMethodFault.localizedMessage when reading one). In VMware\'s core-types.xsd '
               'MethodFault is a root type with faultCause and faultMessage.',
    },
    {
        'what': 'LocalizedMethodFault: base DynamicData instead of MethodFault',
        'why': 'pyVmomi treats LocalizedMethodFault as a MethodFault only to (de)serialize it; on the '
               'wire it extends DynamicData (core-types.xsd).',
    },
    {
        'what': 'members, parameters and results declared vmodl.MethodFault are LocalizedMethodFault',
        'why': 'SoapAdapter wraps every MethodFault value in a LocalizedMethodFault on the wire, except '
               'LocalizedMethodFault.fault itself and the SOAP fault detail. The declared VMODL type is '
               'kept in "vmodlType".',
    },
    {
        'what': 'DynamicData, DynamicArray, DynamicProperty: no base type, and no dynamicType or '
                'dynamicProperty members',
        'why': 'pyVmomi roots them at its Python class DataObject, which has no wire name, and gives '
               'them two optional members that VMware\'s 6.5, 6.7 and 7.0 XSDs do not have and pyVmomi '
               'never sets.',
    },
    {
        'what': 'link members (pyVmomi flag F_LINK) have wire type string',
        'why': 'a link is serialized as the key of the linked object; the linked type is kept in "link".',
    },
]


def die(message):
    sys.stderr.write('dump_pyvmomi: %s\n' % message)
    sys.exit(1)


class UndefinedType(Exception):
    """A member refers to a type that pyVmomi names but does not define."""


def wanted(vmodl_name):
    return vmodl_name.split('.', 1)[0] in NAMESPACES


def visible(version):
    return any(V.IsChildVersion(newest, version) for newest in NEWEST)


def def_key(vmodl_name):
    """The key of a type in pyVmomi's definition maps: every dotted part uncapitalized when pyVmomi's
    allowCapitalizedNames setting is on, the VMODL name itself otherwise."""
    if V._allowCapitalizedNames:
        return '.'.join(part[0].lower() + part[1:] for part in vmodl_name.split('.'))
    return vmodl_name


def wire_ns(version):
    ns = V.GetWsdlNamespace(version)
    if ns not in ('urn:vim25', 'urn:pbm'):
        die('unexpected wire namespace %s for version %s' % (ns, version))
    return ns[len('urn:'):]


DATA = dict(V._dataDefMap)
MANAGED = dict(V._managedDefMap)
ENUMS = dict(V._enumDefMap)

used_versions = set()
hidden = {'dataTypes': [], 'enums': [], 'managedTypes': [], 'members': [], 'methods': []}
skipped = []


def version(v):
    used_versions.add(v)
    return v


def strip_array(type_name):
    return (type_name[:-2], True) if type_name.endswith('[]') else (type_name, False)


def resolve(type_name, where):
    """Map a pyVmomi type name (optionally ending in []) to (wire type, array, moType)."""
    base, array = strip_array(type_name)
    if base in PRIMITIVES:
        return PRIMITIVES[base], array, None
    if base == 'vmodl.ManagedObject':
        return MOREF, array, 'ManagedObject'
    key = def_key(base)
    for table, kind in ((DATA, 'data'), (MANAGED, 'managed'), (ENUMS, 'enum')):
        d = table.get(key)
        if d is None:
            continue
        version_index = 3 if kind != 'enum' else 2
        if not wanted(d[0]):
            die('%s refers to %s outside the dumped namespaces' % (where, base))
        if not visible(d[version_index]):
            raise UndefinedType('%s: refers to %s, which is not visible in 6.7.1' % (where, type_name))
        if kind == 'managed':
            return MOREF, array, d[1]
        return d[1], array, None
    raise UndefinedType('%s: pyVmomi refers to %s but never defines it' % (where, type_name))


def member(spec, where, type_version=None, fault_is_wire=True, privileges=False):
    """One property or parameter, from pyVmomi's (name, type, version, flags[, privilege]).

    type_version is the declaring data type's version, for the optional-if-added-later rule."""
    name, type_name, ver, flags = spec[:4]
    where = '%s.%s' % (where, name)
    out = {'name': name}
    if flags & V.F_LINK:
        target, array, _mo = resolve(type_name, where)
        out['type'] = 'string'
        out['array'] = array
        out['link'] = target
    else:
        wire, array, mo_type = resolve(type_name, where)
        fault = fault_is_wire and strip_array(type_name)[0] == 'vmodl.MethodFault'
        out['type'] = 'LocalizedMethodFault' if fault else wire
        if fault:
            out['vmodlType'] = type_name
        out['array'] = array
        if mo_type is not None:
            out['moType'] = mo_type
    optional = bool(flags & V.F_OPTIONAL)
    if not optional and type_version is not None and ver != type_version and ver not in VIM25_BASELINE:
        out['optional'] = True
        out['vmodlOptional'] = False
    else:
        out['optional'] = optional
    if flags & V.F_SECRET:
        out['secret'] = True
    out['version'] = version(ver)
    if privileges and len(spec) > 4 and spec[4]:
        out['privilege'] = spec[4]
    return out


def visible_members(specs, owner):
    out = []
    for spec in specs or []:
        if visible(spec[2]):
            out.append(spec)
        else:
            hidden['members'].append('%s.%s' % (owner, spec[0]))
    return out


def result(flags, type_name, where):
    if type_name == 'void':
        return None
    wire, array, mo_type = resolve(type_name, where)
    out = {'type': wire}
    if strip_array(type_name)[0] == 'vmodl.MethodFault':
        out['type'] = 'LocalizedMethodFault'
        out['vmodlType'] = type_name
    out['array'] = array
    if mo_type is not None:
        out['moType'] = mo_type
    if flags is not None:
        out['optional'] = bool(flags & V.F_OPTIONAL)
    return out


def task_result(type_name, where):
    """The type of a task's info.result. pyVmomi names a few types here that it never defines (they
    are internal to the server); those are recorded as anyType with "undefined": true."""
    try:
        return result(None, type_name, where)
    except UndefinedType:
        return {'type': 'anyType', 'array': strip_array(type_name)[1], 'vmodlType': type_name,
                'undefined': True}


def parent_wire(parent_vmodl, where):
    if parent_vmodl in (None, 'vmodl.DataObject', 'DataObject', 'ManagedObject'):
        return None
    if parent_vmodl == 'vmodl.ManagedObject':
        return 'ManagedObject'
    key = def_key(parent_vmodl)
    d = DATA.get(key) or MANAGED.get(key)
    if d is None:
        die('%s: unknown base %s' % (where, parent_vmodl))
    return d[1]


def dump_data_type(d):
    vmodl_name, wsdl_name, parent, ver, props = d
    entry = {'name': vmodl_name}
    base = parent_wire(parent, wsdl_name)
    props = visible_members(props, wsdl_name)
    if wsdl_name == 'MethodFault':
        base = None
        props = [p for p in props if p[0] != 'msg']
    elif wsdl_name == 'LocalizedMethodFault':
        base = 'DynamicData'
    elif wsdl_name in ('DynamicData', 'DynamicArray'):
        props = [p for p in props if p[0] not in ('dynamicType', 'dynamicProperty')]
    if base is not None:
        entry['base'] = base
    entry['ns'] = wire_ns(ver)
    entry['version'] = version(ver)
    entry['props'] = [
        member(p, wsdl_name, type_version=ver,
               fault_is_wire=not (wsdl_name == 'LocalizedMethodFault' and p[0] == 'fault'))
        for p in props
    ]
    return entry


def dump_managed_type(d):
    vmodl_name, wsdl_name, parent, ver, props, methods = d
    entry = {'name': vmodl_name}
    base = parent_wire(parent, wsdl_name)
    if base is not None:
        entry['base'] = base
    entry['ns'] = wire_ns(ver)
    entry['version'] = version(ver)
    entry['props'] = [member(p, wsdl_name, privileges=True) for p in visible_members(props, wsdl_name)]
    out_methods = []
    for m in methods or []:
        if not visible(m[2]):
            hidden['methods'].append(m[1])
            continue
        try:
            out_methods.append(dump_method(wsdl_name, m))
        except UndefinedType as e:
            skipped.append({'method': m[1], 'managedType': wsdl_name, 'reason': str(e)})
    entry['methods'] = out_methods
    return entry


def dump_method(wsdl_name, m):
    m_vmodl, m_wsdl, m_ver, m_params, m_result, m_priv, m_faults = m
    where = '%s.%s' % (wsdl_name, m_wsdl)
    method = {
        'name': m_wsdl,
        'vmodlName': m_vmodl,
        'ns': wire_ns(m_ver),
        'version': version(m_ver),
        'params': [member(p, where, privileges=True) for p in visible_members(m_params, m_wsdl)],
    }
    r_flags, r_type, r_method_type = m_result
    returns = result(r_flags, r_type, where)
    if returns is not None:
        method['returns'] = returns
    if r_method_type != r_type:
        # A method that returns a Task: the type of the task's info.result once it succeeds.
        if r_type != 'vim.Task':
            die('%s: result %s differs from method result %s' % (where, r_type, r_method_type))
        method['taskResult'] = task_result(r_method_type, where)
    method['faults'] = [resolve(f, where)[0] for f in (m_faults or [])]
    if m_priv:
        method['privilege'] = m_priv
    return method


def dump_enum(d):
    vmodl_name, wsdl_name, ver, values = d
    return {'name': vmodl_name, 'ns': wire_ns(ver), 'version': version(ver), 'values': list(values)}


def collect():
    data_types, managed_types, enums = {}, {}, {}

    def put(table, wsdl_name, entry):
        if wsdl_name in data_types or wsdl_name in managed_types or wsdl_name in enums:
            die('duplicate wire name %s' % wsdl_name)
        table[wsdl_name] = entry

    for d in DATA.values():
        if not wanted(d[0]):
            continue
        if visible(d[3]):
            put(data_types, d[1], dump_data_type(d))
        else:
            hidden['dataTypes'].append(d[1])
    for d in MANAGED.values():
        if not (wanted(d[0]) or d[0] == 'ManagedObject'):
            continue
        if visible(d[3]):
            put(managed_types, d[1], dump_managed_type(d))
        else:
            hidden['managedTypes'].append(d[1])
    for d in ENUMS.values():
        if not wanted(d[0]):
            continue
        if visible(d[2]):
            put(enums, d[1], dump_enum(d))
        else:
            hidden['enums'].append(d[1])

    # The root of the managed types: pyVmomi's own Python class, vmodl.ManagedObject in VMODL.
    managed_types['ManagedObject']['name'] = 'vmodl.ManagedObject'

    seen = {}
    for wsdl_name, t in managed_types.items():
        for m in t['methods']:
            if m['name'] in seen:
                die('method %s declared by %s and %s' % (m['name'], seen[m['name']], wsdl_name))
            seen[m['name']] = wsdl_name
    return data_types, managed_types, enums


def pyvmomi_version():
    try:
        from importlib.metadata import version as dist_version
        return dist_version('pyvmomi')
    except Exception:  # metadata missing: say so rather than guess
        return 'unknown'


def build():
    data_types, managed_types, enums = collect()
    versions = {}
    for v in sorted(used_versions, key=version_order):
        versions[v] = {'ns': wire_ns(v), 'api': V.versionIdMap.get(v, '')}
    return {
        'about': {
            'source': 'pyVmomi %s (Debian python3-pyvmomi)' % pyvmomi_version(),
            'generator': 'tools/vmodl-gen/dump/dump_pyvmomi.py',
            'namespaces': list(NAMESPACES),
            'apiVersions': {'vim25': V.versionIdMap[NEWEST[0]], 'pbm': V.versionIdMap[NEWEST[1]]},
            'counts': {'dataTypes': len(data_types), 'managedTypes': len(managed_types), 'enums': len(enums),
                       'methods': sum(len(t['methods']) for t in managed_types.values())},
            'wireCorrections': WIRE_CORRECTIONS,
            'hidden': {k: sorted(v) for k, v in hidden.items()},
            'skippedMethods': sorted(skipped, key=lambda x: x['method']),
        },
        'builtinTypes': {
            'primitives': sorted(set(PRIMITIVES.values())),
            'vmodlPrimitives': PRIMITIVES,
            'managedObjectReference': {
                'name': MOREF, 'ns': 'vim25', 'content': 'string', 'attributes': ['type'],
                'note': 'a reference to a managed object: the id as text content, the managed type in "type"',
            },
        },
        'versions': versions,
        'dataTypes': sort_by_key(data_types),
        'enums': sort_by_key(enums),
        'managedTypes': sort_by_key(managed_types),
    }


def sort_by_key(table):
    """Maps keyed by wire name are written in code-point order of their keys; records keep the field
    order in which this script builds them (name first), and members keep wire order."""
    return {k: table[k] for k in sorted(table)}


def version_order(v):
    """vim.version.version9 before vim.version.version10."""
    prefix, _, last = v.rpartition('.')
    digits = ''.join(c for c in last if c.isdigit())
    return (prefix, int(digits) if digits else -1, last)


def compact(value):
    return json.dumps(value, separators=(', ', ': '), ensure_ascii=True)


def is_leaf(value):
    """A record small enough for one line: it holds no list of records."""
    if isinstance(value, dict):
        return all(not isinstance(v, (dict, list))
                   or (isinstance(v, list) and not any(isinstance(x, (dict, list)) for x in v))
                   or (isinstance(v, dict) and is_leaf(v) and len(compact(v)) < 80)
                   for v in value.values())
    if isinstance(value, list):
        return not any(isinstance(x, (dict, list)) for x in value)
    return True


def write(value, out, indent=0):
    """JSON with one member, parameter or enum per line: readable diffs, a 2 MB file."""
    pad = ' ' * indent
    if not isinstance(value, (dict, list)) or indent >= 2 and is_leaf(value):
        out.append(compact(value))
        return
    items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
    if not items:
        out.append('{}' if isinstance(value, dict) else '[]')
        return
    out.append('{\n' if isinstance(value, dict) else '[\n')
    for i, (k, v) in enumerate(items):
        out.append('%s %s' % (pad, '' if k is None else json.dumps(k) + ': '))
        write(v, out, indent + 1)
        out.append(',\n' if i < len(items) - 1 else '\n')
    out.append('%s%s' % (pad, '}' if isinstance(value, dict) else ']'))


def main(argv):
    if len(argv) != 2:
        sys.stderr.write('usage: /usr/bin/python3 dump_pyvmomi.py OUTPUT.json (- for stdout)\n')
        return 2
    doc = build()
    out = []
    write(doc, out)
    text = ''.join(out) + '\n'
    if argv[1] == '-':
        sys.stdout.write(text)
    else:
        with open(argv[1], 'w', encoding='utf-8', newline='\n') as f:
            f.write(text)
    c = doc['about']['counts']
    h = doc['about']['hidden']
    left_out = ', '.join('%d %s' % (len(v), k) for k, v in h.items())
    sys.stderr.write('dump_pyvmomi: %d data types, %d managed types, %d enums, %d methods; not visible in '
                     '6.7.1: %s; naming undefined types: %d methods\n'
                     % (c['dataTypes'], c['managedTypes'], c['enums'], c['methods'], left_out,
                        len(doc['about']['skippedMethods'])))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
