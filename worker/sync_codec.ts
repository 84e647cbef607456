// Copyright 2026 the desync authors. MIT license.
// The codec of a blocking call's answer where the caller's thread cannot read
// a port synchronously (a browser's worker has no receiveMessageOnPort): the
// answer travels as bytes through the channel's SharedArrayBuffer instead.
//
// Bytes are UTF-8 JSON of a tagged tree. Finite numbers (not -0), strings,
// booleans and null stand for themselves; plain objects are objects whose
// values are encoded; everything else is an array whose first item is a tag:
//   ["u"] undefined   ["n", "NaN"|"Infinity"|"-Infinity"|"-0"]   ["b", "123"] bigint
//   ["a", items]      ["d", time]   ["m", [[k, v]...]] Map   ["S", items] Set
//   ["r", source, flags] RegExp     ["B", base64] ArrayBuffer
//   ["t", "Uint8Array"|..., base64] typed array or DataView (its bytes)
//   ["e", name, message, stack, cause] Error
// Like structured clone, other objects (class instances) become plain objects
// of their own enumerable fields. Unlike it, an object met twice is copied
// twice, and a cycle, a function, a symbol, a promise or a weak collection
// cannot be encoded (UnencodableError, saying where).

/** A value the codec cannot encode; `message` says what and where. */
export class UnencodableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnencodableError";
  }
}

const VIEWS: Record<string, new (buffer: ArrayBuffer) => ArrayBufferView> = {};
for (
  const name of [
    "Int8Array",
    "Uint8Array",
    "Uint8ClampedArray",
    "Int16Array",
    "Uint16Array",
    "Int32Array",
    "Uint32Array",
    "Float32Array",
    "Float64Array",
    "BigInt64Array",
    "BigUint64Array",
    "DataView",
  ]
) {
  const view = (globalThis as Record<string, unknown>)[name];
  if (typeof view === "function") VIEWS[name] = view as (typeof VIEWS)[string];
}

/** `value` as UTF-8 bytes; throws UnencodableError. */
export function encodeAnswer(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(tag(value, "the result", [])));
}

/** The value of encodeAnswer's bytes (copied out of shared memory first: decode refuses shared views). */
export function decodeAnswer(bytes: Uint8Array): unknown {
  return untag(JSON.parse(new TextDecoder().decode(bytes)));
}

function tag(value: unknown, path: string, ancestors: object[]): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (Object.is(value, -0)) return ["n", "-0"];
      return Number.isFinite(value) ? value : ["n", String(value)];
    case "undefined":
      return ["u"];
    case "bigint":
      return ["b", value.toString()];
    case "symbol":
    case "function":
      throw new UnencodableError(`${path} is a ${typeof value}`);
  }
  if (value === null) return null;
  const object = value as object;
  if (ancestors.includes(object)) throw new UnencodableError(`${path} refers back to itself`);
  ancestors.push(object);
  try {
    return tagObject(object, path, ancestors);
  } finally {
    ancestors.pop();
  }
}

function tagObject(value: object, path: string, ancestors: object[]): unknown {
  if (Array.isArray(value)) {
    return ["a", Array.from(value, (item, i) => tag(item, `${path}[${i}]`, ancestors))];
  }
  if (value instanceof Date) return ["d", tag(value.getTime(), path, ancestors)];
  if (value instanceof Map) {
    const entries: unknown[] = [];
    let i = 0;
    for (const [k, v] of value) {
      entries.push([
        tag(k, `${path} (a Map key)`, ancestors),
        tag(v, `${path}.get(#${i++})`, ancestors),
      ]);
    }
    return ["m", entries];
  }
  if (value instanceof Set) {
    return ["S", Array.from(value, (item, i) => tag(item, `${path} (Set item ${i})`, ancestors))];
  }
  if (value instanceof RegExp) return ["r", value.source, value.flags];
  if (value instanceof ArrayBuffer) return ["B", toBase64(new Uint8Array(value))];
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    if (VIEWS[name] === undefined) throw new UnencodableError(`${path} is a ${name}`);
    return ["t", name, toBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength))];
  }
  if (value instanceof Error) {
    const cause = "cause" in value ? tag(value.cause, `${path}.cause`, ancestors) : ["u"];
    return ["e", value.name, value.message, value.stack ?? null, cause];
  }
  if (
    value instanceof Promise || value instanceof WeakMap || value instanceof WeakSet ||
    (typeof WeakRef === "function" && value instanceof WeakRef) ||
    (typeof SharedArrayBuffer === "function" && value instanceof SharedArrayBuffer)
  ) {
    throw new UnencodableError(`${path} is a ${value.constructor.name}`);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    out[key] = tag((value as Record<string, unknown>)[key], `${path}.${key}`, ancestors);
  }
  return out;
}

function untag(node: unknown): unknown {
  if (node === null || typeof node !== "object") return node;
  if (!Array.isArray(node)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(node)) out[key] = untag((node as Record<string, unknown>)[key]);
    return out;
  }
  const [kind, a, b, c, d] = node as [string, unknown, unknown, unknown, unknown];
  switch (kind) {
    case "u":
      return undefined;
    case "n":
      return a === "-0" ? -0 : Number(a);
    case "b":
      return BigInt(a as string);
    case "a":
      return (a as unknown[]).map(untag);
    case "d":
      return new Date(untag(a) as number);
    case "m":
      return new Map((a as [unknown, unknown][]).map(([k, v]) => [untag(k), untag(v)]));
    case "S":
      return new Set((a as unknown[]).map(untag));
    case "r":
      return new RegExp(a as string, b as string);
    case "B":
      return fromBase64(a as string).buffer;
    case "t": {
      const bytes = fromBase64(b as string);
      const View = VIEWS[a as string] as unknown as new (
        buffer: ArrayBuffer,
        offset?: number,
        length?: number,
      ) => ArrayBufferView;
      if (a === "DataView") return new View(bytes.buffer as ArrayBuffer);
      const size = (View as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
      return new View(bytes.buffer as ArrayBuffer, 0, bytes.byteLength / size);
    }
    case "e": {
      const error = new Error(b as string);
      error.name = a as string;
      if (c !== null) error.stack = c as string;
      const cause = untag(d);
      if (cause !== undefined) error.cause = cause;
      return error;
    }
  }
  throw new TypeError(`desync: unknown tag ${JSON.stringify(kind)} in a blocking call's answer`);
}

function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
