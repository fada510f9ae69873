import {tooLargeText, YAML_LIMIT} from './limits.js'
import {isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments, type Document} from 'yaml'

export const PROXY_CONFIG_PATH = '/etc/pulse-sensor-proxy/config.yaml'

/** A value of config.yaml with the line it is written on. */
export interface At<T> {
  value: T
  line: number
}

/** Why the proxy (Go, gopkg.in/yaml.v3 into its Config struct) would refuse the file, with its line. */
export interface ConfigProblem {
  kind: 'syntax' | 'duplicate' | 'type'
  line: number
  message: string
}

/** An `allowed_peers` entry: a uid and the capabilities it is given (read when none is listed). */
export interface PeerEntry {
  uid?: At<number>
  capabilities: At<string>[]
  line: number
}

export interface ControlPlane {
  line: number
  url?: At<string>
  tokenFile?: At<string>
  insecureSkipVerify?: At<boolean>
}

/**
 * The keys of pulse-sensor-proxy's Config struct (cmd/pulse-sensor-proxy/config.go) that decide
 * its security, as written; an absent key is undefined and takes the proxy's default.
 */
export interface ProxyConfig {
  path: string
  /** The file cannot be decoded at all (YAML syntax, or not a mapping): nothing else is set. */
  syntaxErrors: ConfigProblem[]
  /** Duplicate keys and values of the wrong type: yaml.v3 refuses the file, the proxy does not start. */
  problems: ConfigProblem[]
  /** Top-level keys as written, with their lines (known or not). */
  keys: At<string>[]
  allowedSourceSubnets?: At<At<string>[]>
  metricsAddress?: At<string>
  allowedPeerUids?: At<At<number>[]>
  allowedPeerGids?: At<At<number>[]>
  allowedPeers?: At<PeerEntry[]>
  allowIdmappedRoot?: At<boolean>
  allowedIdmapUsers?: At<At<string>[]>
  httpEnabled?: At<boolean>
  httpListenAddr?: At<string>
  httpAuthToken?: At<string>
  httpTlsCert?: At<string>
  httpTlsKey?: At<string>
  requireProxmoxHostkeys?: At<boolean>
  pulseControlPlane?: ControlPlane
}

type Doc = Document.Parsed

/** yaml.v3's booleans: YAML 1.2 true/false, and the YAML 1.1 words it still decodes into a bool. */
const TRUE_1_2 = /^(true|True|TRUE)$/
const FALSE_1_2 = /^(false|False|FALSE)$/
const TRUE_1_1 = /^(yes|Yes|YES|on|On|ON|y|Y)$/
const FALSE_1_1 = /^(no|No|NO|off|Off|OFF|n|N)$/

/** An unsigned integer as Go's strconv.ParseInt(text, 0, 64) reads a plain YAML scalar. */
function goUint(text: string): number | undefined {
  const match = /^\+?(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(text)
  if (!match?.[1]) return undefined
  const digits = match[1].replace(/_/g, '')
  const value = /^0[0-7]+$/.test(digits) ? Number.parseInt(digits, 8) : Number(digits)
  return Number.isSafeInteger(value) && value <= 0xffffffff ? value : undefined
}

const quoted = (node: Node) =>
  isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE')

class Reader {
  readonly problems: ConfigProblem[] = []

  constructor(
    private readonly doc: Doc,
    private readonly lines: LineCounter,
  ) {}

  lineOf(node: Node | null | undefined, fallback = 1): number {
    const offset = node?.range?.[0]
    return offset === undefined ? fallback : this.lines.linePos(offset).line
  }

  resolve(node: unknown): Node | null {
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null
    return (node as Node | null) ?? null
  }

  /** A value yaml.v3 cannot decode into the field's Go type. */
  wrongType(key: string, node: Node, want: string): undefined {
    const kind = isMap(node)
      ? '!!map'
      : isSeq(node)
        ? '!!seq'
        : `${quoted(node) ? 'the quoted string ' : ''}"${String((node as {source?: string}).source ?? '')}"`
    this.problems.push({
      kind: 'type',
      line: this.lineOf(node),
      message: `${key}: cannot decode ${kind} into ${want}: the proxy refuses the file`,
    })
    return undefined
  }

  /** The text of a scalar, or undefined for null (the proxy keeps its default). */
  private scalarText(node: Node): string | undefined | null {
    if (!isScalar(node)) return null
    if (node.value === null) return undefined
    return node.source ?? String(node.value)
  }

  string(key: string, node: Node | null): At<string> | undefined {
    if (!node) return undefined
    const text = this.scalarText(node)
    if (text === null) return this.wrongType(key, node, 'a string')
    return text === undefined ? undefined : {value: text, line: this.lineOf(node)}
  }

  bool(key: string, node: Node | null): At<boolean> | undefined {
    if (!node) return undefined
    const text = this.scalarText(node)
    if (text === undefined) return undefined
    if (text === null) return this.wrongType(key, node, 'a boolean')
    const plain = !quoted(node)
    if (TRUE_1_1.test(text) || (plain && TRUE_1_2.test(text))) return {value: true, line: this.lineOf(node)}
    if (FALSE_1_1.test(text) || (plain && FALSE_1_2.test(text)))
      return {value: false, line: this.lineOf(node)}
    return this.wrongType(key, node, 'a boolean')
  }

  uint(key: string, node: Node | null): At<number> | undefined {
    if (!node) return undefined
    const text = this.scalarText(node)
    if (text === undefined) return undefined
    const value = text === null || quoted(node) ? undefined : goUint(text)
    if (value === undefined) return this.wrongType(key, node, 'a uint32')
    return {value, line: this.lineOf(node)}
  }

  list<T>(key: string, node: Node | null, item: (n: Node | null) => T | undefined): At<T[]> | undefined {
    if (!node) return undefined
    if (isScalar(node) && node.value === null) return undefined
    if (!isSeq(node)) return this.wrongType(key, node, 'a list')
    const values: T[] = []
    for (const raw of node.items) {
      const value = item(this.resolve(raw))
      if (value !== undefined) values.push(value)
    }
    return {value: values, line: this.lineOf(node)}
  }

  /** The entries of a mapping, each key with its line; duplicates reported as yaml.v3 reports them. */
  entries(node: Node): {key: string; keyLine: number; value: Node | null}[] {
    if (!isMap(node)) return []
    const seen = new Map<string, number>()
    const out: {key: string; keyLine: number; value: Node | null}[] = []
    for (const pair of node.items) {
      const keyNode = this.resolve(pair.key)
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode)
      const keyLine = this.lineOf(keyNode, this.lineOf(node))
      const first = seen.get(key)
      if (first !== undefined) {
        this.problems.push({
          kind: 'duplicate',
          line: keyLine,
          message: `mapping key "${key}" already defined at line ${first}: the proxy refuses the file`,
        })
        continue
      }
      seen.set(key, keyLine)
      out.push({key, keyLine, value: this.resolve(pair.value)})
    }
    return out
  }

  /** Report duplicate keys anywhere below a node (yaml.v3 refuses them at any depth). */
  duplicatesBelow(node: Node | null): void {
    if (isMap(node)) for (const e of this.entries(node)) this.duplicatesBelow(e.value)
    else if (isSeq(node)) for (const item of node.items) this.duplicatesBelow(this.resolve(item))
  }
}

function readPeers(r: Reader, node: Node | null): At<PeerEntry[]> | undefined {
  return r.list('allowed_peers', node, (item) => {
    if (!item) return undefined
    if (!isMap(item)) return r.wrongType('allowed_peers', item, 'a peer entry')
    const entry: PeerEntry = {capabilities: [], line: r.lineOf(item)}
    for (const {key, value} of r.entries(item)) {
      if (key === 'uid') entry.uid = r.uint('allowed_peers.uid', value)
      else if (key === 'capabilities')
        entry.capabilities =
          r.list('allowed_peers.capabilities', value, (c) => r.string('capability', c))?.value ?? []
      else r.duplicatesBelow(value)
    }
    return entry
  })
}

function readControlPlane(r: Reader, node: Node | null): ControlPlane | undefined {
  if (!node || (isScalar(node) && node.value === null)) return undefined
  if (!isMap(node)) return r.wrongType('pulse_control_plane', node, 'a mapping')
  const plane: ControlPlane = {line: r.lineOf(node)}
  for (const {key, value} of r.entries(node)) {
    if (key === 'url') plane.url = r.string('pulse_control_plane.url', value)
    else if (key === 'token_file') plane.tokenFile = r.string('pulse_control_plane.token_file', value)
    else if (key === 'insecure_skip_verify')
      plane.insecureSkipVerify = r.bool('pulse_control_plane.insecure_skip_verify', value)
    else r.duplicatesBelow(value)
  }
  return plane
}

/** Nodes an alias may stand for, summed over the document (the yaml library's own default). */
const MAX_ALIAS_COUNT = 100

/**
 * Parse /etc/pulse-sensor-proxy/config.yaml as the proxy decodes it: the first YAML document into
 * its Config struct, unknown keys ignored, duplicate keys (at any depth) and values of the wrong
 * type refused. Every value keeps its line; the parser never throws.
 */
export function parseProxyConfig(text: string, path = PROXY_CONFIG_PATH): ProxyConfig {
  const conf: ProxyConfig = {path, syntaxErrors: [], problems: [], keys: []}
  const bytes = Buffer.byteLength(text)
  if (bytes > YAML_LIMIT) {
    conf.syntaxErrors.push({
      kind: 'syntax',
      line: 1,
      message: `the file ${tooLargeText(bytes, YAML_LIMIT)} of YAML`,
    })
    return conf
  }
  const lines = new LineCounter()
  const docs = parseAllDocuments(text, {lineCounter: lines, uniqueKeys: false, prettyErrors: false})
  const doc = Array.isArray(docs) ? docs[0] : undefined
  if (!doc) return conf
  const lineAt = (offset: number | undefined) => (offset === undefined ? 1 : lines.linePos(offset).line)
  if (doc.errors.length > 0) {
    conf.syntaxErrors = doc.errors.map((e) => ({
      kind: 'syntax',
      line: lineAt(e.pos[0]),
      message: `YAML syntax: ${e.message.split('\n')[0] ?? e.code}`,
    }))
    return conf
  }
  try {
    // The library's bound on alias expansion ("billion laughs"): walking the document below follows
    // aliases, so a bomb must stop here. yaml.v3 refuses such a document too ("excessive aliasing").
    doc.toJS({maxAliasCount: MAX_ALIAS_COUNT})
  } catch {
    conf.syntaxErrors.push({
      kind: 'syntax',
      line: 1,
      message: 'YAML syntax: the document contains excessive aliasing: the proxy refuses it',
    })
    return conf
  }
  const r = new Reader(doc, lines)
  const root = r.resolve(doc.contents)
  if (!root || (isScalar(root) && root.value === null)) return conf
  if (!isMap(root)) {
    conf.syntaxErrors.push({
      kind: 'syntax',
      line: r.lineOf(root),
      message: `the file is a ${isSeq(root) ? 'list' : 'scalar'}, not a mapping of settings: the proxy refuses it`,
    })
    return conf
  }
  const strings = (key: string, node: Node | null) => r.list(key, node, (n) => r.string(key, n))
  const uints = (key: string, node: Node | null) => r.list(key, node, (n) => r.uint(key, n))
  for (const {key, keyLine, value} of r.entries(root)) {
    conf.keys.push({value: key, line: keyLine})
    switch (key) {
      case 'allowed_source_subnets':
        conf.allowedSourceSubnets = strings(key, value)
        break
      case 'metrics_address':
        conf.metricsAddress = r.string(key, value)
        break
      case 'allowed_peer_uids':
        conf.allowedPeerUids = uints(key, value)
        break
      case 'allowed_peer_gids':
        conf.allowedPeerGids = uints(key, value)
        break
      case 'allowed_peers':
        conf.allowedPeers = readPeers(r, value)
        break
      case 'allow_idmapped_root':
        conf.allowIdmappedRoot = r.bool(key, value)
        break
      case 'allowed_idmap_users':
        conf.allowedIdmapUsers = strings(key, value)
        break
      case 'http_enabled':
        conf.httpEnabled = r.bool(key, value)
        break
      case 'http_listen_addr':
        conf.httpListenAddr = r.string(key, value)
        break
      case 'http_auth_token':
        conf.httpAuthToken = r.string(key, value)
        break
      case 'http_tls_cert':
        conf.httpTlsCert = r.string(key, value)
        break
      case 'http_tls_key':
        conf.httpTlsKey = r.string(key, value)
        break
      case 'require_proxmox_hostkeys':
        conf.requireProxmoxHostkeys = r.bool(key, value)
        break
      case 'pulse_control_plane':
        conf.pulseControlPlane = readControlPlane(r, value)
        break
      default:
        r.duplicatesBelow(value)
    }
  }
  conf.problems = r.problems.sort((a, b) => a.line - b.line)
  return conf
}
