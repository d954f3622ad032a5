import type { ManagedObjectReference, ObjectContent, RetrieveResult } from '@vmkit/vim';
import { faultError, type FaultObject, type VimError } from '@vmkit/vim';
import { MissingPropertyError } from './errors.js';
import type { VimSession } from './session.js';

/** Options of the property helpers. */
export interface PropertyOptions {
  signal?: AbortSignal;
}

/** An object and the values of the properties asked for, by property path. */
export interface ObjectProperties {
  obj: ManagedObjectReference;
  props: Record<string, unknown>;
}

function missingError(obj: ManagedObjectReference, path: string, fault: { fault?: FaultObject; localizedMessage?: string } | undefined, session: VimSession): VimError {
  const f = fault?.fault;
  const cause = f === undefined ? undefined : faultError(fault?.localizedMessage ?? '', f, session.client.schema.chain(f._type));
  return new MissingPropertyError(obj, path, { cause });
}

/** Turns one ObjectContent into its properties, surfacing `missingSet` entries as typed errors. */
export function toObjectProperties(session: VimSession, oc: ObjectContent): ObjectProperties {
  const missing = oc.missingSet?.[0];
  if (missing !== undefined) throw missingError(oc.obj, missing.path, missing.fault as { fault?: FaultObject; localizedMessage?: string }, session);
  return { obj: oc.obj, props: Object.fromEntries((oc.propSet ?? []).map((p) => [p.name, p.val])) };
}

/**
 * The given properties of one object. A property the server could not return (for instance for lack
 * of a privilege: NoPermission with the object and privilege) is a {@link MissingPropertyError} whose
 * cause is the typed fault; a property that is simply unset is absent from the result.
 */
export async function retrieveProperties(
  session: VimSession,
  obj: ManagedObjectReference,
  paths: readonly string[],
  options: PropertyOptions = {},
): Promise<Record<string, unknown>> {
  const [first] = await retrieveMany(session, [obj], paths, options);
  return first?.props ?? {};
}

/** The given properties of many objects (of one or several types) in one round trip per page. */
export async function retrieveMany(
  session: VimSession,
  objs: readonly ManagedObjectReference[],
  paths: readonly string[],
  options: PropertyOptions = {},
): Promise<ObjectProperties[]> {
  if (objs.length === 0) return [];
  const types = [...new Set(objs.map((o) => o.type))];
  const out: ObjectProperties[] = [];
  for await (const page of pages(
    session,
    {
      propSet: types.map((type) => ({ type, pathSet: [...paths] })),
      objectSet: objs.map((obj) => ({ obj })),
    },
    undefined,
    options,
  )) {
    for (const oc of page) out.push(toObjectProperties(session, oc));
  }
  return out;
}

/**
 * Every page of a retrieval: RetrievePropertiesEx, then ContinueRetrievePropertiesEx while the server
 * returns a token. Leaving the loop early cancels the retrieval on the server.
 */
export async function* pages(
  session: VimSession,
  spec: { propSet: { type: string; pathSet?: string[]; all?: boolean }[]; objectSet: Record<string, unknown>[] },
  pageSize: number | undefined,
  options: PropertyOptions = {},
): AsyncGenerator<ObjectContent[], void, undefined> {
  const pc = session.serviceContent.propertyCollector;
  const call = options.signal === undefined ? {} : { signal: options.signal };
  let result: RetrieveResult | undefined = await session.invoke(
    'RetrievePropertiesEx',
    pc,
    { specSet: [spec as never], options: pageSize === undefined ? {} : { maxObjects: pageSize } },
    call,
  );
  let token = result?.token;
  try {
    for (;;) {
      if (result !== undefined) yield result.objects;
      if (token === undefined) return;
      result = await session.invoke('ContinueRetrievePropertiesEx', pc, { token }, call);
      token = result.token;
    }
  } finally {
    if (token !== undefined) {
      // The caller stopped early: free the server's result set.
      await session.invoke('CancelRetrievePropertiesEx', pc, { token }).catch(() => undefined);
    }
  }
}

/** Options of {@link iterateObjects}. */
export interface IterateOptions extends PropertyOptions {
  /** Where to look (default: the root folder). */
  root?: ManagedObjectReference;
  /** Objects per page (RetrievePropertiesEx's maxObjects; default 100). */
  pageSize?: number;
}

/**
 * Every object of a type under a root, with the given properties, page by page through a container
 * view that is always destroyed. Breaking out of the loop cancels the retrieval.
 */
export async function* iterateObjects(
  session: VimSession,
  type: string,
  paths: readonly string[],
  options: IterateOptions = {},
): AsyncGenerator<ObjectProperties, void, undefined> {
  const view = await session.invoke('CreateContainerView', session.serviceContent.viewManager!, {
    container: options.root ?? session.serviceContent.rootFolder,
    type: [type],
    recursive: true,
  });
  try {
    const spec = {
      propSet: [{ type, pathSet: [...paths] }],
      objectSet: [{ obj: view, skip: true, selectSet: [{ _type: 'TraversalSpec', name: 'view', type: 'ContainerView', path: 'view', skip: false }] }],
    };
    for await (const page of pages(session, spec, options.pageSize ?? 100, options)) {
      for (const oc of page) yield toObjectProperties(session, oc);
    }
  } finally {
    await session.invoke('DestroyView', view).catch(() => undefined);
  }
}

/**
 * Runs `fn` with a container view of `types` under `root`, destroying the view afterwards whatever
 * happens (undestroyed views pile up on vCenter until the session ends).
 */
export async function withContainerView<T>(
  session: VimSession,
  root: ManagedObjectReference,
  types: readonly string[],
  fn: (view: ManagedObjectReference) => Promise<T>,
): Promise<T> {
  const view = await session.invoke('CreateContainerView', session.serviceContent.viewManager!, { container: root, type: [...types], recursive: true });
  try {
    return await fn(view);
  } finally {
    await session.invoke('DestroyView', view).catch(() => undefined);
  }
}
