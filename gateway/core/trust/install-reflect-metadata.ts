/**
 * A minimal Reflect metadata polyfill for @peculiar/x509. Its dependency tsyringe refuses to load unless
 * `Reflect.getMetadata` exists (the library's README asks for `reflect-metadata`, which is not installed).
 * Import this module before `@peculiar/x509`; ES modules evaluate imports in order, so
 * `import './install-reflect-metadata.js'` as the first import of a file is enough. It installs nothing if a
 * real polyfill is already present.
 *
 * tsyringe only uses getMetadata / getOwnMetadata / defineMetadata on classes; this covers those semantics
 * (per target and property key, getMetadata walking the prototype chain).
 */

type MetadataKey = unknown;
type PropertyKey = string | symbol | undefined;

const store = new WeakMap<object, Map<PropertyKey, Map<MetadataKey, unknown>>>();

function ownMap(
  target: object,
  property: PropertyKey,
  create: boolean,
): Map<MetadataKey, unknown> | undefined {
  let byProperty = store.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let entries = byProperty.get(property);
  if (!entries && create) {
    entries = new Map();
    byProperty.set(property, entries);
  }
  return entries;
}

function defineMetadata(key: MetadataKey, value: unknown, target: object, property?: PropertyKey): void {
  ownMap(target, property, true)?.set(key, value);
}

function getOwnMetadata(key: MetadataKey, target: object, property?: PropertyKey): unknown {
  return ownMap(target, property, false)?.get(key);
}

function hasOwnMetadata(key: MetadataKey, target: object, property?: PropertyKey): boolean {
  return ownMap(target, property, false)?.has(key) ?? false;
}

function hasMetadata(key: MetadataKey, target: object, property?: PropertyKey): boolean {
  for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
    if (hasOwnMetadata(key, t, property)) return true;
  }
  return false;
}

function getMetadata(key: MetadataKey, target: object, property?: PropertyKey): unknown {
  for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
    const entries = ownMap(t, property, false);
    if (entries?.has(key)) return entries.get(key);
  }
  return undefined;
}

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect['getMetadata'] !== 'function') {
  const functions = { defineMetadata, getOwnMetadata, hasOwnMetadata, hasMetadata, getMetadata };
  for (const [name, fn] of Object.entries(functions)) {
    Object.defineProperty(Reflect, name, {
      value: fn,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
}

export {};
