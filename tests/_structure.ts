// Copyright 2026 the desync authors. MIT license.
// The checker behind structure_test.ts: an import scanner, the module graph
// with its rules, and the rules on the `deno doc --json` output. Pure
// functions of in-memory input (no Deno API, no file system), so that the
// self-test in structure_test.ts can feed them synthetic violations, and can
// run on every runtime.

// ---------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------

/** The repository as the rules see it. */
export interface Project {
  /** Every library code file: its path from the root ("pipe/pipe.ts") and its text. */
  sources: ReadonlyMap<string, string>;
  /** Every file and folder at the root; folders end with "/". */
  rootItems: readonly string[];
  /** deno.json "exports". */
  exports: unknown;
  /** deno.json "publish.include". */
  publishInclude: unknown;
}

/** The layout decisions the rules enforce; structure_test.ts holds the real one. */
export interface Policy {
  /** Top-level folders that are not library code (folders starting with "." never are). */
  nonLibrary: readonly string[];
  /**
   * For each area (a top-level folder not starting with "_"), the areas below
   * it that it may import besides itself and the "_" folders. An area missing
   * here may import only itself and the "_" folders.
   */
  areasBelow: Readonly<Record<string, readonly string[]>>;
  /** What `publish.include` lists besides the root entries and the library folders. */
  publishExtras: readonly string[];
  /** The comment, on the line of a dynamic `import()` or the line before, that allows it. */
  allowDynamicImport: string;
}

/** The file extensions that count as code. */
const CODE_FILE = /\.(?:[cm]?[jt]s|[jt]sx)$/;

/** Whether a root item ("name" or "name/") belongs to the library. */
export function isLibraryItem(item: string, policy: Policy): boolean {
  const name = item.replace(/\/$/, "");
  if (name.startsWith(".") || policy.nonLibrary.includes(name)) return false;
  return item.endsWith("/") || CODE_FILE.test(name);
}

/** Whether a file found inside a library folder is library code. */
export function isCodeFile(path: string): boolean {
  return CODE_FILE.test(path);
}

// ---------------------------------------------------------------------------
// The scanner
// ---------------------------------------------------------------------------

interface Token {
  kind: "name" | "string" | "template" | "regex" | "number" | "punct";
  /** The name, the string's contents, or the punctuation character. */
  text: string;
  line: number;
  /** Offset of the token's first character. */
  start: number;
  /** Nesting depth of `{` at the token (0: the module's top level). */
  depth: number;
}

interface Comment {
  text: string;
  line: number;
  endLine: number;
  end: number;
}

/** Names after which a `/` starts a regular expression, not a division. */
const BEFORE_EXPRESSION = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

const NAME =
  /(?:[\p{ID_Start}$_]|\\u[\da-fA-F]{4})(?:[\p{ID_Continue}$\u200c\u200d]|\\u[\da-fA-F]{4})*/uy;
const NUMBER = /(?:0[xXoObB][\da-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)n?/y;

/**
 * Splits TypeScript into tokens, setting comments, strings, template text and
 * regular expressions aside, so that `import` in any of them is not taken for
 * an import. An unterminated string or regular expression ends at its line.
 */
function tokenize(source: string): { tokens: Token[]; comments: Comment[] } {
  const tokens: Token[] = [];
  const comments: Comment[] = [];
  /** The brace depth at each open `${` of a template literal. */
  const templates: number[] = [];
  let depth = 0;
  let line = 1;
  let i = 0;
  const push = (kind: Token["kind"], text: string, start: number) =>
    tokens.push({ kind, text, line, start, depth });
  const countLines = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (source[k] === "\n") line++;
  };
  /** Scans template text from `i` (after "`" or "}"); stops after "`" or "${". */
  const templateText = () => {
    const start = i;
    const startLine = line;
    while (i < source.length) {
      const c = source[i];
      if (c === "\\") {
        countLines(i, i + 2);
        i += 2;
      } else if (c === "`") {
        i++;
        break;
      } else if (c === "$" && source[i + 1] === "{") {
        i += 2;
        templates.push(depth);
        break;
      } else {
        if (c === "\n") line++;
        i++;
      }
    }
    tokens.push({ kind: "template", text: "", line: startLine, start, depth });
  };
  const regexAllowed = () => {
    const prev = tokens.at(-1);
    if (prev === undefined) return true;
    if (prev.kind === "punct") return prev.text !== ")" && prev.text !== "]";
    if (prev.kind === "name") return BEFORE_EXPRESSION.has(prev.text);
    return false;
  };
  while (i < source.length) {
    const c = source[i];
    if (c === "\n") {
      line++;
      i++;
    } else if (
      c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v" || c === "\uFEFF"
    ) {
      i++;
    } else if (c === "/" && source[i + 1] === "/") {
      const end = source.indexOf("\n", i) < 0 ? source.length : source.indexOf("\n", i);
      comments.push({ text: source.slice(i, end), line, endLine: line, end });
      i = end;
    } else if (c === "/" && source[i + 1] === "*") {
      const close = source.indexOf("*/", i + 2);
      const end = close < 0 ? source.length : close + 2;
      const startLine = line;
      countLines(i, end);
      comments.push({ text: source.slice(i, end), line: startLine, endLine: line, end });
      i = end;
    } else if (c === "'" || c === '"') {
      const start = i;
      let text = "";
      i++;
      while (i < source.length && source[i] !== c && source[i] !== "\n") {
        if (source[i] === "\\") {
          if (source[i + 1] === "\n") line++;
          text += source[i + 1] ?? "";
          i += 2;
        } else {
          text += source[i++];
        }
      }
      if (source[i] === c) i++;
      push("string", text, start);
    } else if (c === "`") {
      i++;
      templateText();
    } else if (c === "}" && templates.length > 0 && templates.at(-1) === depth) {
      templates.pop();
      i++;
      templateText();
    } else if (c === "/" && regexAllowed() && scanRegex(source, i) > i) {
      const end = scanRegex(source, i);
      push("regex", source.slice(i, end), i);
      i = end;
    } else {
      NAME.lastIndex = c === "#" ? i + 1 : i;
      const name = NAME.exec(source);
      if (name !== null) {
        push("name", (c === "#" ? "#" : "") + name[0], i);
        i = NAME.lastIndex;
        continue;
      }
      NUMBER.lastIndex = i;
      const number = /[\d.]/.test(c) ? NUMBER.exec(source) : null;
      if (number !== null && number[0] !== "" && number[0] !== ".") {
        push("number", number[0], i);
        i = NUMBER.lastIndex;
        continue;
      }
      if (c === "}") depth--;
      push("punct", c, i);
      if (c === "{") depth++;
      i++;
    }
  }
  return { tokens, comments };
}

/** The end of the regular expression literal at `start`, or `start` if there is none on this line. */
function scanRegex(source: string, start: number): number {
  let inClass = false;
  for (let k = start + 1; k < source.length; k++) {
    const c = source[k];
    if (c === "\n") return start;
    if (c === "\\") k++;
    else if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    else if (c === "/" && !inClass) {
      if (k === start + 1) return start; // "//" is a comment, handled before
      let end = k + 1;
      while (end < source.length && /[a-z]/i.test(source[end])) end++;
      return end;
    }
  }
  return start;
}

/** One name of an import or export list. */
interface Specifier {
  /** The name in the module imported from ("default", or "*" for a namespace or star). */
  imported: string;
  /** The name in this module (for a re-export: the name exported). */
  local: string;
  /** Marked `type`, or part of an `import type` / `export type` statement. */
  type: boolean;
}

/** An import, re-export or dynamic import found in a file. */
export interface Edge {
  from: string;
  /** The specifier, or undefined for a dynamic import of a computed specifier. */
  specifier: string | undefined;
  line: number;
  kind: "import" | "export" | "dynamic";
  /** Only types: `import type`, `export type`, or every name marked `type`. */
  typeOnly: boolean;
  /** Imports no name: `import "./x.ts"`, `import {} from`, `export {} from`. */
  sideEffectOnly: boolean;
  /** For a dynamic import: allowed by the policy's comment. */
  allowed: boolean;
  specifiers: Specifier[];
}

/** What the rules need to know about one file. */
export interface ModuleScan {
  edges: Edge[];
  /** `export { a as b }` without `from`: local names exported under other names. */
  localExports: Specifier[];
  /** Names declared at the top level (class, function, interface, type, const, ...). */
  declared: Set<string>;
  /** Names whose declaration follows a JSDoc comment with `@internal`. */
  internal: Set<string>;
  /** For an entry: code that is not part of an `export ... from` statement (first token per line). */
  notReexport: { line: number; text: string }[];
  /** Has a JSDoc comment with `@module`. */
  hasModuleDoc: boolean;
}

const DECLARATION = new Set([
  "class",
  "function",
  "interface",
  "type",
  "enum",
  "const",
  "let",
  "var",
  "namespace",
]);

/** Scans one file's imports, re-exports and declarations. */
export function scanModule(path: string, source: string, policy: Policy): ModuleScan {
  const { tokens, comments } = tokenize(source);
  const scan: ModuleScan = {
    edges: [],
    localExports: [],
    declared: new Set(),
    internal: new Set(),
    notReexport: [],
    hasModuleDoc: comments.some((c) => c.text.startsWith("/**") && /@module\b/.test(c.text)),
  };
  const covered = new Set<number>();
  const isName = (k: number, text?: string) =>
    tokens[k]?.kind === "name" && (text === undefined || tokens[k].text === text);
  const isPunct = (k: number, text: string) =>
    tokens[k]?.kind === "punct" && tokens[k].text === text;
  const allowedAt = (line: number) =>
    comments.some((c) =>
      (c.endLine === line || c.endLine === line - 1) && c.text.includes(policy.allowDynamicImport)
    );

  /** Parses `{ a, type b, c as d }` from `k` (at "{"); returns the specifiers and the index after "}". */
  const list = (k: number, allType: boolean): [Specifier[], number] => {
    const specifiers: Specifier[] = [];
    let group: string[] = [];
    const flush = () => {
      if (group.length === 0) return;
      const type = group[0] === "type" && (group.length === 2 || group.length === 4);
      const rest = type ? group.slice(1) : group;
      const imported = rest[0];
      const local = rest.length >= 3 && rest[1] === "as" ? rest[2] : imported;
      specifiers.push({ imported, local, type: type || allType });
      group = [];
    };
    for (k++; k < tokens.length && !isPunct(k, "}"); k++) {
      if (isPunct(k, ",")) flush();
      else group.push(tokens[k].text);
    }
    flush();
    return [specifiers, k + 1];
  };

  /** `from "x"` at `k`, then import attributes and ";": returns the specifier and the end, or undefined. */
  const fromClause = (k: number): [string, number] | undefined => {
    if (!isName(k, "from") || tokens[k + 1]?.kind !== "string") return undefined;
    const specifier = tokens[k + 1].text;
    k += 2;
    if ((isName(k, "with") || isName(k, "assert")) && isPunct(k + 1, "{")) {
      while (k < tokens.length && !isPunct(k, "}")) k++;
      k++;
    }
    if (isPunct(k, ";")) k++;
    return [specifier, k];
  };

  const edge = (
    start: number,
    kind: Edge["kind"],
    specifier: string | undefined,
    specifiers: Specifier[],
    sideEffectOnly = specifiers.length === 0,
  ) =>
    scan.edges.push({
      from: path,
      specifier,
      line: tokens[start].line,
      kind,
      typeOnly: specifiers.length > 0 && specifiers.every((s) => s.type),
      sideEffectOnly,
      allowed: kind === "dynamic" && allowedAt(tokens[start].line),
      specifiers,
    });

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.kind !== "name" || isPunct(i - 1, ".")) continue;
    if (token.text === "import" && isPunct(i + 1, "(")) {
      const literal = tokens[i + 2]?.kind === "string" &&
        (isPunct(i + 3, ")") || isPunct(i + 3, ","));
      edge(i, "dynamic", literal ? tokens[i + 2].text : undefined, [], false);
      continue;
    }
    if (token.depth !== 0) continue;
    if (DECLARATION.has(token.text) && !isPunct(i + 1, ":")) {
      const name = isPunct(i + 1, "*") ? i + 2 : i + 1;
      if (
        isName(name) &&
        !(token.text === "type" && !isPunct(name + 1, "=") && !isPunct(name + 1, "<"))
      ) {
        scan.declared.add(tokens[name].text);
      }
    }
    if (token.text === "import" && !isPunct(i + 1, ".")) {
      if (tokens[i + 1]?.kind === "string") {
        edge(i, "import", tokens[i + 1].text, [], true);
        continue;
      }
      let k = i + 1;
      let allType = false;
      if (
        isName(k, "type") && !isPunct(k + 1, ",") && !isPunct(k + 1, "=") &&
        !(isName(k + 1, "from") && tokens[k + 2]?.kind === "string")
      ) {
        allType = true;
        k++;
      }
      const specifiers: Specifier[] = [];
      if (isName(k) && !isName(k, "from")) {
        specifiers.push({ imported: "default", local: tokens[k].text, type: allType });
        k++;
        if (isPunct(k, ",")) k++;
      } else if (isName(k, "from") && isName(k + 1, "from")) {
        specifiers.push({ imported: "default", local: "from", type: allType }); // import from from "x"
        k++;
      }
      if (isPunct(k, "*") && isName(k + 1, "as") && isName(k + 2)) {
        specifiers.push({ imported: "*", local: tokens[k + 2].text, type: allType });
        k += 3;
      } else if (isPunct(k, "{")) {
        const [names, next] = list(k, allType);
        specifiers.push(...names);
        k = next;
      }
      const from = fromClause(k);
      if (from !== undefined) edge(i, "import", from[0], specifiers);
      continue;
    }
    if (token.text === "export") {
      let k = i + 1;
      let allType = false;
      if (isName(k, "type") && (isPunct(k + 1, "{") || isPunct(k + 1, "*"))) {
        allType = true;
        k++;
      }
      let specifiers: Specifier[] | undefined;
      if (isPunct(k, "*")) {
        let local = "*";
        k++;
        if (isName(k, "as") && (isName(k + 1) || tokens[k + 1]?.kind === "string")) {
          local = tokens[k + 1].text;
          k += 2;
        }
        specifiers = [{ imported: "*", local, type: allType }];
      } else if (isPunct(k, "{")) {
        [specifiers, k] = list(k, allType);
      }
      if (specifiers === undefined) {
        // A declaration: `export const`, `export class`, ... Note `@internal`.
        const jsDoc = comments.findLast((c) => c.end <= token.start);
        if (
          jsDoc !== undefined && jsDoc.text.startsWith("/**") && /@internal\b/.test(jsDoc.text) &&
          !/\S/.test(source.slice(jsDoc.end, token.start))
        ) {
          let name = k;
          while (isName(name) && !DECLARATION.has(tokens[name].text)) name++; // default, declare, async, abstract
          if (isPunct(name + 1, "*")) name++;
          if (isName(name + 1)) scan.internal.add(tokens[name + 1].text);
        }
        continue;
      }
      const from = fromClause(k);
      if (from === undefined) {
        scan.localExports.push(...specifiers);
        continue;
      }
      edge(i, "export", from[0], specifiers);
      for (let c = i; c < from[1]; c++) covered.add(c);
      i = from[1] - 1;
    }
  }
  let lastLine = 0;
  tokens.forEach((token, k) => {
    if (covered.has(k) || token.line === lastLine) return;
    lastLine = token.line;
    scan.notReexport.push({ line: token.line, text: token.text });
  });
  return scan;
}

// ---------------------------------------------------------------------------
// The module graph (rules 1, 2, 3)
// ---------------------------------------------------------------------------

/** Where a file sits in the layout. */
type Zone =
  | { kind: "entry" }
  | { kind: "stray" }
  | { kind: "engine" | "area" | "outside"; folder: string };

/** The project with every file scanned and every edge resolved. */
export interface Analysis {
  project: Project;
  policy: Policy;
  scans: Map<string, ModuleScan>;
  /** The files deno.json "exports" names, from the root ("mod.ts"). */
  entries: string[];
  zoneOf(path: string): Zone;
}

/** deno.json "exports" as a map (a string is the "." export). */
export function exportMap(exports: unknown): Record<string, string> {
  if (typeof exports === "string") return { ".": exports };
  if (typeof exports !== "object" || exports === null) return {};
  return Object.fromEntries(
    Object.entries(exports).filter((entry): entry is [string, string] =>
      typeof entry[1] === "string"
    ),
  );
}

/** A path from the root without "./" and with ".." resolved ("../x" if it leaves the root). */
function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && out.length > 0 && out.at(-1) !== "..") out.pop();
    else out.push(part);
  }
  return out.join("/");
}

/** The file a specifier names, from the root; undefined when it is not relative. */
export function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return undefined;
  const dir = from.includes("/") ? from.slice(0, from.lastIndexOf("/") + 1) : "";
  return normalize(dir + specifier);
}

/** Scans every file of the project. */
export function analyze(project: Project, policy: Policy): Analysis {
  const scans = new Map<string, ModuleScan>();
  for (const [path, source] of [...project.sources].sort(([a], [b]) => a < b ? -1 : 1)) {
    scans.set(path, scanModule(path, source, policy));
  }
  const entries = Object.values(exportMap(project.exports)).map(normalize);
  const zoneOf = (path: string): Zone => {
    if (entries.includes(path)) return { kind: "entry" };
    const slash = path.indexOf("/");
    if (slash < 0) return { kind: "stray" };
    const folder = path.slice(0, slash);
    if (folder === ".." || !isLibraryItem(`${folder}/`, policy)) return { kind: "outside", folder };
    return { kind: folder.startsWith("_") ? "engine" : "area", folder };
  };
  return { project, policy, scans, entries, zoneOf };
}

/** `pipe/pipe.ts:14 imports { type Desync, desyncQueue } from "../desync/desync.ts"` */
function describeEdge(edge: Edge): string {
  const verb = edge.kind === "export" ? "re-exports" : "imports";
  if (edge.kind === "dynamic") {
    return `${edge.from}:${edge.line} has a dynamic import(${
      edge.specifier === undefined ? "<computed>" : JSON.stringify(edge.specifier)
    })`;
  }
  const names = edge.specifiers.map((s) => {
    const name = s.imported === s.local
      ? s.imported
      : s.imported === "*"
      ? `* as ${s.local}`
      : `${s.imported} as ${s.local}`;
    return s.type ? `type ${name}` : name;
  });
  const what = names.length === 0
    ? ""
    : names.length === 1 && names[0].startsWith("*")
    ? `${names[0]} from `
    : `{ ${names.join(", ")} } from `;
  return `${edge.from}:${edge.line} ${verb} ${what}${JSON.stringify(edge.specifier)}`;
}

interface GraphEdge {
  to: string;
  typeOnly: boolean;
  line: number;
}

/** Edges between library files, one per pair (a value import wins over a type-only one). */
function graph(analysis: Analysis): Map<string, GraphEdge[]> {
  const out = new Map<string, GraphEdge[]>();
  for (const [path, scan] of analysis.scans) {
    const edges = new Map<string, GraphEdge>();
    for (const edge of scan.edges) {
      const to = edge.specifier === undefined ? undefined : resolveSpecifier(path, edge.specifier);
      if (to === undefined || !analysis.scans.has(to)) continue;
      const known = edges.get(to);
      if (known === undefined || (known.typeOnly && !edge.typeOnly)) {
        edges.set(to, { to, typeOnly: edge.typeOnly, line: edge.line });
      }
    }
    out.set(path, [...edges.values()]);
  }
  return out;
}

/** Tarjan's strongly connected components. */
function components(nodes: string[], next: (node: string) => string[]): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const to of next(node)) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      out.push(component.sort());
    }
  };
  for (const node of nodes) if (!index.has(node)) visit(node);
  return out;
}

/** The shortest path from `from` to `to` within `within`, as edges (empty if none). */
function shortestPath(
  edges: Map<string, GraphEdge[]>,
  from: string,
  to: string,
  within: Set<string>,
  use: (edge: GraphEdge) => boolean,
): [string, GraphEdge][] {
  const via = new Map<string, [string, GraphEdge]>();
  const queue = [from];
  const seen = new Set([from]);
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const edge of edges.get(node) ?? []) {
      if (!use(edge) || !within.has(edge.to)) continue;
      if (edge.to === to) {
        const path: [string, GraphEdge][] = [[node, edge]];
        for (let at = node; at !== from;) {
          const step = via.get(at)!;
          path.unshift(step);
          at = step[0];
        }
        return path;
      }
      if (seen.has(edge.to)) continue;
      seen.add(edge.to);
      via.set(edge.to, [node, edge]);
      queue.push(edge.to);
    }
  }
  return [];
}

/** "a.ts:3 -> b.ts:7 -[type]-> a.ts" (each file with the line of its import). */
function describeCycle(path: [string, GraphEdge][]): string {
  return path.map(([from, edge]) => `${from}:${edge.line} -${edge.typeOnly ? "[type]" : ""}-> `)
    .join("") + path[0][0];
}

const folderOf = (path: string) => path.includes("/") ? path.slice(0, path.indexOf("/")) : ".";

/** Rule 1: no value-import cycle; a cycle through type-only imports stays within one folder. */
export function checkCycles(analysis: Analysis): string[] {
  const edges = graph(analysis);
  const nodes = [...edges.keys()];
  const violations: string[] = [];
  const value = (edge: GraphEdge) => !edge.typeOnly;
  for (const component of components(nodes, (n) => edges.get(n)!.filter(value).map((e) => e.to))) {
    const start = component[0];
    const self = edges.get(start)!.some((e) => e.to === start && value(e));
    if (component.length === 1 && !self) continue;
    const path = shortestPath(edges, start, start, new Set(component), value);
    violations.push(`value-import cycle: ${describeCycle(path)}`);
  }
  const all = () => true;
  for (const component of components(nodes, (n) => edges.get(n)!.map((e) => e.to))) {
    if (new Set(component.map(folderOf)).size <= 1) continue;
    const members = new Set(component);
    // A cycle through an edge that crosses folders.
    const [from, edge] = component.flatMap((from) =>
      edges.get(from)!.filter((e) =>
        members.has(e.to) && folderOf(e.to) !== folderOf(from)
      )
        .map((e) => [from, e] as const)
    )[0];
    const path: [string, GraphEdge][] = [
      [from, edge],
      ...shortestPath(edges, edge.to, from, members, all),
    ];
    violations.push(
      `import cycle across folders (type-only cycles are allowed only within one folder): ${
        describeCycle(path)
      }`,
    );
  }
  return violations;
}

/** The areas `area` may import besides itself, following the policy's table down. */
function below(area: string, policy: Policy, seen = new Set<string>()): Set<string> {
  for (const next of policy.areasBelow[area] ?? []) {
    if (seen.has(next)) continue;
    seen.add(next);
    below(next, policy, seen);
  }
  return seen;
}

/**
 * Rule 2: every edge points down the one-way graph. Entries may import any
 * library file; an "_" folder only its own files; an area its own files, the
 * "_" folders and the areas below it; nothing imports an entry, a folder that
 * is not library code, a missing file, or anything outside the package.
 */
export function checkLayers(analysis: Analysis): string[] {
  const { policy, scans, zoneOf } = analysis;
  const violations: string[] = [];
  for (const area of Object.keys(policy.areasBelow)) {
    if (below(area, policy).has(area)) {
      violations.push(`the layering table (areasBelow) has a cycle through ${area}/`);
    }
  }
  const nonLibrary = policy.nonLibrary.map((name) => `${name}/`).join(", ");
  for (const [path, scan] of scans) {
    const from = zoneOf(path);
    for (const edge of scan.edges) {
      if (edge.specifier === undefined) continue; // a computed import(): rule 3
      const target = resolveSpecifier(path, edge.specifier);
      const problem = ((): string | undefined => {
        if (target === undefined) {
          return "a module outside the package (the library has no dependencies)";
        }
        const to = zoneOf(target);
        if (to.kind === "outside") {
          return `${
            to.folder === ".." ? "outside the package" : `${to.folder}/`
          }: nothing in the library may import ${nonLibrary} or anything outside it`;
        }
        if (!scans.has(target)) return `${target}, which is not a library code file`;
        if (from.kind === "entry" || from.kind === "stray") return undefined;
        if (from.kind === "outside") return undefined;
        if (to.kind === "entry" || to.kind === "stray") {
          return `the entry ${target}: an upward edge (entries are the top of the graph; ` +
            `a folder imports the file that defines what it needs)`;
        }
        if (from.kind === "engine") {
          return to.kind === "engine" && to.folder === from.folder
            ? undefined
            : `${target}: ${
              to.kind === "engine" ? "a sideways" : "an upward"
            } edge (${from.folder}/ may import only ${from.folder}/)`;
        }
        if (to.kind === "engine" || to.folder === from.folder) return undefined;
        const allowed = below(from.folder, policy);
        if (allowed.has(to.folder)) return undefined;
        const direction = below(to.folder, policy).has(from.folder) ? "an upward" : "a sideways";
        const may = [`${from.folder}/`, "the _ folders", ...[...allowed].map((a) => `${a}/`)];
        return `${target}: ${direction} edge (${from.folder}/ may import only ${
          may.join(", ")
        }; the layering table is areasBelow in tests/structure_test.ts)`;
      })();
      if (problem !== undefined) violations.push(`${describeEdge(edge)}: imports ${problem}`);
    }
  }
  return violations;
}

/** Rule 2, for the entries: module docs and `export ... from` statements only. */
export function checkEntries(analysis: Analysis): string[] {
  const violations: string[] = [];
  for (const entry of analysis.entries) {
    const scan = analysis.scans.get(entry);
    if (scan === undefined) continue; // rule 6 reports it
    if (!scan.hasModuleDoc) {
      violations.push(`${entry}: an entry has a module doc (a JSDoc comment with @module)`);
    }
    for (const { line, text } of scan.notReexport) {
      violations.push(
        `${entry}:${line}: an entry holds only its module doc and re-exports ` +
          `("export ... from"); found \`${text}\``,
      );
    }
    if (scan.edges.every((e) => e.kind !== "export")) {
      violations.push(`${entry}: an entry re-exports its area; this one re-exports nothing`);
    }
  }
  return violations;
}

/** Rule 3: no side-effect-only import, and no dynamic import() unless a comment allows it. */
export function checkImportEffects(analysis: Analysis): string[] {
  const violations: string[] = [];
  for (const scan of analysis.scans.values()) {
    for (const edge of scan.edges) {
      if (edge.kind === "dynamic" && !edge.allowed) {
        violations.push(
          `${describeEdge(edge)}: dynamic import() is not allowed in library code ` +
            `(import statically, or put the comment "${analysis.policy.allowDynamicImport}: <reason>" ` +
            `on its line or the line before)`,
        );
      } else if (edge.kind !== "dynamic" && edge.sideEffectOnly) {
        violations.push(
          `${describeEdge(edge)}: a side-effect-only import (import what is used, by name)`,
        );
      }
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------
// The public surface: `deno doc --json` (rules 4 and 5)
// ---------------------------------------------------------------------------

interface DocLocation {
  filename: string;
  line: number;
}

interface DocTag {
  kind: string;
  doc?: string;
}

interface DocJsDoc {
  doc?: string;
  tags?: DocTag[];
}

interface DocDeclaration {
  location: DocLocation;
  declarationKind: string;
  jsDoc?: DocJsDoc;
  kind: string;
  def?: Record<string, unknown>;
}

interface DocSymbol {
  name: string;
  declarations: DocDeclaration[];
}

/** The output of `deno doc --json` (format version 2). */
export interface DocJson {
  version: number;
  nodes: Record<string, { symbols: DocSymbol[] }>;
}

interface DocMember {
  name?: string;
  kind?: string;
  accessibility?: string;
  isStatic?: boolean;
  jsDoc?: DocJsDoc;
  location?: DocLocation;
}

/** A symbol as documented (not a reference to one documented by an earlier entry). */
interface Documented {
  name: string;
  declaration: DocDeclaration;
  /** Its file, from the root. */
  file: string;
}

const MEMBER_LISTS = [
  "constructors",
  "properties",
  "methods",
  "callSignatures",
  "indexSignatures",
] as const;

function members(declaration: DocDeclaration): { list: string; member: DocMember }[] {
  return MEMBER_LISTS.flatMap((list) =>
    ((declaration.def?.[list] ?? []) as DocMember[]).map((member) => ({ list, member }))
  );
}

/** A member's name for messages: "onError", "[Symbol.dispose]", "static from", "constructor". */
function memberName(list: string, member: DocMember): string {
  const name = list === "callSignatures"
    ? "(call)"
    : list === "indexSignatures"
    ? "[index]"
    : list === "constructors"
    ? "constructor"
    : member.name ?? "?";
  return member.isStatic ? `static ${name}` : name;
}

/** A custom-inspect member: [DENO_INSPECT], [Symbol.for("nodejs.util.inspect.custom")], ... */
const INSPECT = /^\[.*inspect.*\]$/i;

/** Private, or a custom-inspect member: must not be in the docs at all (rule 5). */
function hidden(list: string, member: DocMember): string | undefined {
  if (member.accessibility === "private") {
    return list === "constructors" ? "a private constructor" : "a private member";
  }
  if (INSPECT.test(member.name ?? "")) return "a custom-inspect member";
  return undefined;
}

const hasExample = (jsDoc: DocJsDoc | undefined) =>
  (jsDoc?.tags ?? []).some((tag) => tag.kind === "example" && (tag.doc ?? "").includes("```"));

const hasTag = (jsDoc: DocJsDoc | undefined, kind: string) =>
  (jsDoc?.tags ?? []).some((tag) => tag.kind === kind);

function relative(url: string, rootUrl: string): string {
  return url.startsWith(rootUrl) ? url.slice(rootUrl.length) : url;
}

/** Every documented symbol of every entry, once. */
function documented(doc: DocJson, rootUrl: string): Documented[] {
  const out: Documented[] = [];
  const seen = new Set<string>();
  for (const node of Object.values(doc.nodes)) {
    for (const symbol of node.symbols) {
      for (const declaration of symbol.declarations) {
        if (declaration.kind === "reference") continue;
        const file = relative(declaration.location.filename, rootUrl);
        const key = `${symbol.name} ${file}:${declaration.location.line}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ name: symbol.name, declaration, file });
      }
    }
  }
  return out;
}

/**
 * Rule 4 (std's bar): every exported symbol, and every public member of an
 * exported class or interface, has an `@example` with a code block. The
 * accessors of one property share one example; constructors are shown by the
 * class's example.
 */
export function checkExamples(doc: DocJson, rootUrl: string): string[] {
  const missing: string[] = [];
  const byName = new Map<string, Documented[]>();
  for (const item of documented(doc, rootUrl)) {
    byName.set(item.name, [...byName.get(item.name) ?? [], item]);
  }
  for (const [name, items] of byName) {
    const first = items[0];
    if (!items.some((item) => hasExample(item.declaration.jsDoc))) {
      missing.push(
        `${name} (${first.declaration.kind}, ${first.file}:${first.declaration.location.line})`,
      );
    }
    const groups = new Map<string, { kind: string; line: number; example: boolean }>();
    for (const item of items) {
      for (const { list, member } of members(item.declaration)) {
        if (list === "constructors" || hidden(list, member) !== undefined) continue;
        const key = memberName(list, member);
        const group = groups.get(key) ??
          {
            kind: member.kind ?? list.replace(/ies$/, "y").replace(/s$/, ""),
            line: 0,
            example: false,
          };
        group.line ||= member.location?.line ?? item.declaration.location.line;
        group.example ||= hasExample(member.jsDoc);
        if (member.kind === "setter" && group.kind === "getter") group.kind = "accessor";
        groups.set(key, group);
      }
    }
    for (const [member, group] of groups) {
      if (!group.example) {
        missing.push(`${name}.${member} (${group.kind}, ${first.file}:${group.line})`);
      }
    }
  }
  return missing;
}

/** Where a name is defined: follows imports and re-exports to the declaring file. */
interface Definition {
  file: string;
  name: string;
  /** Found declared (false: not declared where the trail ended, e.g. a global). */
  found: boolean;
}

function define(
  analysis: Analysis,
  file: string,
  name: string,
  depth = 0,
): Definition {
  const scan = analysis.scans.get(file);
  if (scan === undefined || depth > 20) return { file, name, found: false };
  const local = scan.localExports.find((s) => s.local === name && s.imported !== name);
  if (local !== undefined) return define(analysis, file, local.imported, depth + 1);
  for (const edge of scan.edges) {
    if (edge.specifier === undefined || edge.kind === "dynamic") continue;
    const target = resolveSpecifier(file, edge.specifier);
    for (const s of edge.specifiers) {
      if (s.local !== name || s.imported === "*") continue;
      return target === undefined
        ? { file: edge.specifier, name: s.imported, found: false }
        : define(analysis, target, s.imported, depth + 1);
    }
  }
  if (scan.declared.has(name)) return { file, name, found: true };
  for (const edge of scan.edges) {
    const star = edge.kind === "export" && edge.specifiers.some((s) => s.local === "*");
    const target = edge.specifier === undefined
      ? undefined
      : resolveSpecifier(file, edge.specifier);
    if (!star || target === undefined) continue;
    const found = define(analysis, target, name, depth + 1);
    if (found.found) return found;
  }
  return { file, name, found: false };
}

const key = (definition: { file: string; name: string }) => `${definition.file}#${definition.name}`;

/** What rule 5 compares the entries' export lists with: export subpath -> names. */
export type ExpectedExports = Readonly<Record<string, readonly string[]>>;

/**
 * Rule 5: no internal symbol is reachable from an entry. The entries export
 * exactly the expected lists; no export is marked `@internal`; no signature in
 * the docs names a type the entries do not export; private members and
 * custom-inspect members are not in the docs.
 */
export function checkSurface(
  doc: DocJson,
  rootUrl: string,
  analysis: Analysis,
  expected: ExpectedExports,
): string[] {
  const violations: string[] = [];
  const exports = exportMap(analysis.project.exports);

  // The export lists.
  const entryOf = new Map(
    Object.entries(exports).map(([subpath, file]) => [normalize(file), subpath]),
  );
  const actual = new Map<string, string[]>();
  for (const [url, node] of Object.entries(doc.nodes)) {
    const file = relative(url, rootUrl);
    actual.set(entryOf.get(file) ?? file, node.symbols.map((s) => s.name));
  }
  for (const subpath of new Set([...Object.keys(exports), ...Object.keys(expected)])) {
    const names = actual.get(subpath);
    const want = expected[subpath];
    const label = `${subpath} (${exports[subpath] ?? "not in deno.json exports"})`;
    if (want === undefined) {
      violations.push(`${label}: no expected export list in tests/structure_test.ts`);
      continue;
    }
    if (names === undefined) {
      violations.push(
        `${label}: the expected export list names an entry that deno doc did not document`,
      );
      continue;
    }
    for (const name of names.filter((n) => !want.includes(n)).sort()) {
      violations.push(`${label} exports ${name}, which its expected list does not name`);
    }
    for (const name of want.filter((n) => !names.includes(n))) {
      violations.push(`${label} does not export ${name}, which its expected list names`);
    }
  }

  // What is public: each exported name, followed to its definition.
  const publicDefs = new Set<string>();
  for (const [url, node] of Object.entries(doc.nodes)) {
    const entry = relative(url, rootUrl);
    for (const symbol of node.symbols) {
      publicDefs.add(key(define(analysis, entry, symbol.name)));
      for (const declaration of symbol.declarations) {
        if (declaration.kind === "reference") continue;
        publicDefs.add(
          key({ file: relative(declaration.location.filename, rootUrl), name: symbol.name }),
        );
      }
    }
  }
  const internalType = (file: string, name: string): Definition | undefined => {
    const definition = define(analysis, file, name);
    if (!analysis.scans.has(definition.file)) return undefined; // external, or a global
    return publicDefs.has(key(definition)) ? undefined : definition;
  };

  for (const { name, declaration, file } of documented(doc, rootUrl)) {
    const at = `${file}:${declaration.location.line}`;
    if (declaration.declarationKind !== "export") {
      violations.push(
        `${name} (${at}) is in the docs as "${declaration.declarationKind}", not exported`,
      );
    }
    if (hasTag(declaration.jsDoc, "internal") || analysis.scans.get(file)?.internal.has(name)) {
      violations.push(`${name} (${at}) is exported by an entry but marked @internal`);
    }
    for (const { list, member } of members(declaration)) {
      const what = hidden(list, member);
      const memberAt = `${file}:${member.location?.line ?? declaration.location.line}`;
      if (what !== undefined) {
        violations.push(
          `${name}.${
            memberName(list, member)
          } (${memberAt}) is ${what} and is in the docs (hide it with @ignore)`,
        );
      }
      if (hasTag(member.jsDoc, "internal")) {
        violations.push(
          `${name}.${
            memberName(list, member)
          } (${memberAt}) is marked @internal and is in the docs`,
        );
      }
    }
    const extendsName = declaration.def?.extends;
    if (typeof extendsName === "string") {
      const definition = internalType(file, extendsName.split(/[.<]/)[0]);
      if (definition !== undefined && definition.found) {
        violations.push(
          `${name} (${at}) extends ${extendsName}, an internal type (${definition.file}) that no entry exports`,
        );
      }
    }
    walkTypes(
      declaration.def,
      [name],
      file,
      declaration.location.line,
      (typeName, resolution, path, where, line) => {
        let definition: Definition | undefined;
        if (resolution?.kind === "local") {
          definition = internalType(where, typeName);
        } else if (resolution?.kind === "import" || resolution?.kind === "importType") {
          const target = resolveSpecifier(where, resolution.specifier ?? "");
          if (target !== undefined) definition = internalType(target, resolution.name ?? typeName);
        }
        if (definition !== undefined) {
          violations.push(
            `${path.join(".")} (${file}:${line}) refers to ${typeName}, an internal type ` +
              `(${definition.file}) that no entry exports`,
          );
        }
      },
    );
  }
  return [...new Set(violations)];
}

interface Resolution {
  kind?: string;
  specifier?: string;
  name?: string;
}

/**
 * Calls `found` for each type reference in a doc node: `typeRef`s with their
 * resolution, and `import("./x.ts").T` types. JSDoc (`@throws {T}`) is prose,
 * not a signature, and is skipped. `path` names the symbol, member and
 * parameter; `where` is the file the reference is written in (the
 * declaration's: deno doc does not inline types from other files), and `line`
 * the line of the nearest enclosing node that has a location.
 */
function walkTypes(
  value: unknown,
  path: string[],
  where: string,
  line: number,
  found: (
    name: string,
    resolution: Resolution | undefined,
    path: string[],
    where: string,
    line: number,
  ) => void,
): void {
  if (Array.isArray(value)) {
    for (const item of value) walkTypes(item, path, where, line, found);
    return;
  }
  if (typeof value !== "object" || value === null) return;
  const node = value as Record<string, unknown>;
  const here = (node.location as DocLocation | undefined)?.line ?? line;
  const named = typeof node.name === "string" && node.kind !== "typeParam"
    ? [...path, node.name]
    : path;
  if (node.kind === "typeRef" && typeof node.value === "object" && node.value !== null) {
    const ref = node.value as { typeName?: string; resolution?: Resolution };
    if (typeof ref.typeName === "string" && ref.resolution?.kind !== "typeParam") {
      found(ref.typeName.split(".")[0], ref.resolution, path, where, here);
    }
  }
  if (node.kind === "importType" && typeof node.value === "object" && node.value !== null) {
    const ref = node.value as { specifier?: string; qualifier?: string };
    const name = (ref.qualifier ?? "default").split(".")[0];
    found(name, { kind: "importType", specifier: ref.specifier, name }, path, where, here);
  }
  for (const [field, child] of Object.entries(node)) {
    if (field === "jsDoc" || field === "location") continue;
    walkTypes(child, named, where, here, found);
  }
}

// ---------------------------------------------------------------------------
// The package layout (rule 6)
// ---------------------------------------------------------------------------

/**
 * Rule 6: deno.json "exports" names each entry once, as "./<subpath>.ts"
 * ("." is "./mod.ts"), and every library file at the root is an entry;
 * "publish.include" lists exactly the root entries, the library folders and
 * the policy's extras, all of which exist.
 */
export function checkLayout(project: Project, policy: Policy): string[] {
  const violations: string[] = [];
  const exports = exportMap(project.exports);
  if (Object.keys(exports).length === 0) violations.push(`deno.json has no "exports"`);
  const entries = new Set<string>();
  for (const [subpath, target] of Object.entries(exports)) {
    const file = normalize(target);
    const named = subpath === "." ? "mod.ts" : `${normalize(subpath)}.ts`;
    if (subpath !== "." && !subpath.startsWith("./")) {
      violations.push(`deno.json exports: the subpath "${subpath}" does not start with "./"`);
    } else if (file !== named) {
      violations.push(
        `deno.json exports["${subpath}"] is "${target}"; the entry for "${subpath}" is "./${named}"`,
      );
    }
    if (!project.sources.has(file)) {
      violations.push(
        `deno.json exports["${subpath}"]: "${target}" is not a library code file (a stale path?)`,
      );
    }
    entries.add(file);
  }
  for (const file of project.sources.keys()) {
    if (!file.includes("/") && !entries.has(file)) {
      violations.push(
        `${file}: a code file at the root that deno.json "exports" does not name ` +
          `(the root holds the entries; code lives in the folders)`,
      );
    }
  }
  if (!Array.isArray(project.publishInclude)) {
    violations.push(`deno.json has no "publish.include" list`);
    return violations;
  }
  const folders = project.rootItems.filter((item) =>
    item.endsWith("/") && isLibraryItem(item, policy)
  );
  const want = new Set([
    ...[...entries].filter((file) => !file.includes("/")),
    ...folders,
    ...policy.publishExtras,
  ]);
  const listed = new Set<string>();
  for (const item of project.publishInclude) {
    const path = normalize(String(item));
    const normal = project.rootItems.includes(`${path}/`) ? `${path}/` : path;
    listed.add(normal);
    const exists = project.rootItems.includes(normal);
    if (!want.has(normal)) {
      violations.push(
        `deno.json publish.include lists "${item}", which is not an entry, a library folder ` +
          `or one of ${policy.publishExtras.join(", ")}${
            exists ? "" : " (and does not exist: stale)"
          }`,
      );
    } else if (!exists) {
      violations.push(`deno.json publish.include lists "${item}", which does not exist (stale)`);
    }
  }
  for (const item of want) {
    if (!listed.has(item)) violations.push(`deno.json publish.include does not list "${item}"`);
  }
  return violations;
}
