import {networkInterfaces} from 'node:os'

import {parseDocument} from 'yaml'

import {InputError} from '../engine/errors.js'
import {type Host} from '../host/host.js'
import {CorosyncParseError, parseCorosyncConf} from '../parsers/corosync-conf.js'
import {type Node} from './exec.js'

export const COROSYNC_CONF = '/etc/pve/corosync.conf'
export const PVE_MEMBERS = '/etc/pve/.members'
export const PROXY_CONFIG = '/etc/pulse-sensor-proxy/config.yaml'

function makeNode(host: string, port: number): Node {
  return {
    host,
    port,
    label: port === 22 ? host : host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
  }
}

/** `host[:port]` or `[v6addr][:port]`, as --nodes takes it. */
export function parseNode(text: string): Node {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  const plain = /^([^:[\]\s,]+)(?::(\d+))?$/.exec(text)
  const bare6 = /^[0-9a-fA-F:]+$/.test(text) && text.split(':').length > 2
  const match = bracketed ?? (bare6 ? null : plain)
  if (bare6) return makeNode(text, 22)
  if (!match) throw new InputError(`--nodes: "${text}" is not host[:port]`)
  const port = match[2] === undefined ? 22 : Number(match[2])
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new InputError(`--nodes: "${text}": bad port`)
  return makeNode(match[1] as string, port)
}

/** The comma-separated --nodes list (repeatable), duplicates refused. */
export function parseNodeList(values: readonly string[]): Node[] {
  const nodes = values
    .flatMap((value) => value.split(','))
    .filter((v) => v.trim() !== '')
    .map((v) => parseNode(v.trim()))
  const seen = new Set<string>()
  for (const node of nodes) {
    if (seen.has(node.label)) throw new InputError(`--nodes: ${node.label} is given twice`)
    seen.add(node.label)
  }
  if (nodes.length === 0) throw new InputError('--nodes: no node given')
  return nodes
}

/**
 * The cluster's members under the root: corosync.conf's nodelist (ring0_addr, else name), else
 * /etc/pve/.members (each member's ip). Bad input when neither names a node.
 */
export async function clusterNodes(host: Host): Promise<{nodes: Node[]; source: string}> {
  const conf = await host.readText(COROSYNC_CONF)
  if (conf.ok) {
    let parsed
    try {
      parsed = parseCorosyncConf(conf.value)
    } catch (error) {
      if (error instanceof CorosyncParseError)
        throw new InputError(`${COROSYNC_CONF}:${error.line}: ${error.message}`)
      throw error
    }
    const nodes = parsed.nodes.map((node) => {
      const address = node.ring0Addr ?? node.name
      if (!address)
        throw new InputError(`${COROSYNC_CONF}:${node.line}: node has neither ring0_addr nor name`)
      return makeNode(address, 22)
    })
    if (nodes.length > 0) return {nodes, source: COROSYNC_CONF}
  }
  const members = await host.readText(PVE_MEMBERS)
  if (members.ok) {
    let json: unknown
    try {
      json = JSON.parse(members.value)
    } catch (error) {
      throw new InputError(`${PVE_MEMBERS}: not JSON (${(error as Error).message})`)
    }
    const list = (json as {nodelist?: Record<string, {ip?: unknown}>}).nodelist
    if (list && typeof list === 'object') {
      const nodes = Object.entries(list).map(([name, member]) =>
        makeNode(typeof member?.ip === 'string' && member.ip !== '' ? member.ip : name, 22),
      )
      if (nodes.length > 0) return {nodes, source: PVE_MEMBERS}
    }
  }
  throw new InputError(
    `no --nodes, and no cluster members in ${COROSYNC_CONF} or ${PVE_MEMBERS} under the root`,
  )
}

/** Where the from= of the proxy's line comes from. */
export interface SourceSubnets {
  subnets: string[]
  /** 'flag': --from; 'config': allowed_source_subnets; 'detected': this machine's addresses (/32, /128). */
  source: 'flag' | 'config' | 'detected'
}

/**
 * allowed_source_subnets of the proxy config under the root (only that key is read; a duplicate key
 * anywhere is bad input, as it crashed the proxy). Empty or absent: the running machine's own
 * non-loopback addresses, /32 and /128, as the proxy auto-detected them.
 */
export async function sourceSubnets(host: Host, fromFlag: readonly string[]): Promise<SourceSubnets> {
  if (fromFlag.length > 0)
    return {subnets: fromFlag.flatMap((f) => f.split(',')).map(checkSubnet), source: 'flag'}
  const text = await host.readText(PROXY_CONFIG)
  const configured = text.ok ? allowedSourceSubnets(text.value) : []
  if (configured.length > 0) return {subnets: configured.map(checkSubnet), source: 'config'}
  const detected = Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal && !(a.family === 'IPv6' && a.address.startsWith('fe80:')))
    .map((a) => `${a.address}/${a.family === 'IPv4' ? 32 : 128}`)
  if (detected.length === 0)
    throw new InputError(
      `${PROXY_CONFIG}: allowed_source_subnets is empty and this machine has no address to use: give --from`,
    )
  return {subnets: detected, source: 'detected'}
}

function checkSubnet(value: string): string {
  const subnet = value.trim()
  if (subnet === '' || /[\s",\\]/.test(subnet))
    throw new InputError(`source subnet "${value}": not an address or CIDR`)
  return subnet
}

/** The allowed_source_subnets list of the proxy's config.yaml text. */
export function allowedSourceSubnets(text: string): string[] {
  const doc = parseDocument(text, {uniqueKeys: true})
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!
    const line = error.linePos?.[0]?.line
    throw new InputError(`${PROXY_CONFIG}${line ? `:${line}` : ''}: ${error.message.split('\n')[0]}`)
  }
  const value = (doc.toJS() as Record<string, unknown> | null)?.allowed_source_subnets
  if (value === undefined || value === null) return []
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw new InputError(`${PROXY_CONFIG}: allowed_source_subnets is not a list of strings`)
  return value as string[]
}
